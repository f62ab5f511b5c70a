package io.stevedore.metrics;

/**
 * What is counted for each peer of each upstream (all counts that only grow, but for
 * {@link #SESSIONS}, which each loop raises and lowers for its own sessions): each with the {@link Metric} it feeds (labelled
 * by {@code upstream} and {@code peer}), the {@code direction} label value where that metric has
 * one (also the {@code /status} object it sits in), and its key in a {@code /status} peer. The
 * {@code quic} counts are kept per peer too but feed a metric by upstream and {@code result}.
 */
public enum PeerCounter {
    /** Client datagrams sent to the peer. */
    FORWARDED_DATAGRAMS(Metric.PEER_DATAGRAMS, "upload", "datagrams"),
    FORWARDED_BYTES(Metric.PEER_BYTES, "upload", "bytes"),
    /** Datagrams from the peer's IP relayed to a client. */
    REPLIED_DATAGRAMS(Metric.PEER_DATAGRAMS, "download", "datagrams"),
    REPLIED_BYTES(Metric.PEER_BYTES, "download", "bytes"),
    /**
     * Sends to the peer that failed: refused by the kernel at once, or reported later by ICMP and
     * pinned on this peer. Each one also marks the peer down.
     */
    SEND_ERRORS(Metric.PEER_SEND_ERRORS, null, "sendErrors"),
    /**
     * Live sessions that have sent to the peer: the ones a draining peer still serves, so it has
     * drained at 0.
     */
    SESSIONS(Metric.PEER_SESSIONS, null, "sessions"),
    /** {@code quic}: client datagrams sent to the peer their connection ID's server ID names. */
    QUIC_SERVER_ID(Metric.QUIC_DATAGRAMS, null, "quicServerId", "server_id"),
    /** {@code quic}: client datagrams whose connection ID did not route, sent to the fallback peer. */
    QUIC_FALLBACK(Metric.QUIC_DATAGRAMS, null, "quicFallback", "fallback");

    private final Metric metric;
    private final String direction;
    private final String statusKey;
    private final String result;

    PeerCounter(Metric metric, String direction, String statusKey) {
        this(metric, direction, statusKey, null);
    }

    PeerCounter(Metric metric, String direction, String statusKey, String result) {
        this.metric = metric;
        this.direction = direction;
        this.statusKey = statusKey;
        this.result = result;
    }

    /** The {@code result} label of a counter whose metric is by upstream, not peer; null for the others. */
    public String result() {
        return result;
    }

    public Metric metric() {
        return metric;
    }

    /** {@code upload} or {@code download}; null for a counter that has no direction. */
    public String direction() {
        return direction;
    }

    public String statusKey() {
        return statusKey;
    }
}
