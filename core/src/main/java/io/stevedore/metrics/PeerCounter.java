package io.stevedore.metrics;

/** What is counted for each peer of each upstream. */
public enum PeerCounter {
    /** Client datagrams sent to the peer. */
    FORWARDED_DATAGRAMS,
    FORWARDED_BYTES,
    /** Datagrams from the peer's IP relayed to a client. */
    REPLIED_DATAGRAMS,
    REPLIED_BYTES,
    /**
     * Sends to the peer that failed: refused by the kernel at once, or reported later by ICMP and
     * pinned on this peer. Each one also marks the peer down.
     */
    SEND_ERRORS
}
