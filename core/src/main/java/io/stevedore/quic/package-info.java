/**
 * QUIC-LB (draft-ietf-quic-load-balancers-21): servers encode a server ID into the connection IDs
 * they issue, so that a load balancer can route every packet of a connection to its server by the
 * destination connection ID alone, whatever the client's address becomes after a NAT rebinding or
 * a migration. This package decodes those IDs (and encodes them, for servers and tests).
 */
package io.stevedore.quic;
