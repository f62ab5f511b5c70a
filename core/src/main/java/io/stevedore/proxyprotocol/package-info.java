/**
 * The PROXY protocol, version 2 (HAProxy's proxy-protocol.txt), as it travels over UDP: every
 * datagram carries its own header, which names the client's address and port and the address and
 * port it sent to. Stevedore writes such headers for backends that need the client's address, and
 * reads them from a trusted front tier.
 *
 * <p>Netty's HAProxy codec is made for streams and holds addresses as strings; a datagram balancer
 * writes and reads the fixed binary layout in place, per datagram, without formatting an address.
 */
package io.stevedore.proxyprotocol;
