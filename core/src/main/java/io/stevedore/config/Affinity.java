package io.stevedore.config;

/** {@code Upstream.Affinity}: when the peer is chosen for a session's datagrams. */
public enum Affinity {
    /** For every datagram, as the original does. */
    PACKET,
    /** On the session's first datagram to the upstream, kept while that peer is up. */
    SESSION
}
