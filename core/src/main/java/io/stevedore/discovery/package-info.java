/**
 * Peers published in DNS (A, AAAA or SRV records), resolved on an event loop of their own, never on
 * the data path: what autoscaling groups, Kubernetes headless Services and Consul publish.
 */
package io.stevedore.discovery;
