package io.stevedore.discovery;

/** {@code Resolve.Type}: which records name an upstream's peers. */
public enum RecordType {
    /** IPv4 addresses, all on {@code Resolve.Port}. */
    A,
    /** IPv6 addresses, all on {@code Resolve.Port}. */
    AAAA,
    /** Targets with their own ports and weights; each target's addresses from its A and AAAA records. */
    SRV
}
