package io.stevedore.metrics;

/** What is counted for each peer of each upstream. */
public enum PeerCounter {
    /** Client datagrams sent to the peer. */
    FORWARDED_DATAGRAMS,
    FORWARDED_BYTES,
    /** Datagrams from the peer's IP relayed to a client. */
    REPLIED_DATAGRAMS,
    REPLIED_BYTES,
    /** Sends to the peer that failed (each one also marks the peer down). */
    SEND_ERRORS
}
