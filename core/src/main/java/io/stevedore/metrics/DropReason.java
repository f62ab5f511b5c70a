package io.stevedore.metrics;

/**
 * Why a datagram was not delivered. Every drop path in the data plane counts exactly one of these;
 * {@link #label()} is its {@code reason} label of {@link Metric#DROPPED_DATAGRAMS} and its key in
 * {@code /status}'s {@code dropped}, so a new reason is one line here.
 */
public enum DropReason {
    /** No route matched and the default names no upstream, or the matching route names none. */
    NO_ROUTE("no_route"),
    /** A {@code chash} datagram shorter than the upstream's {@code KeyBytes}. */
    SHORT_KEY("short_key"),
    /**
     * A datagram larger than {@code BufSize}, from a client or a peer: never forwarded truncated.
     * Also one the kernel refused to send as too large for the way to its peer (EMSGSIZE, e.g.
     * more than 65,507 bytes to an IPv4 peer), or one that a PROXY header would push over the
     * largest UDP payload toward its peer.
     */
    OVERSIZE("oversize"),
    /** A datagram with no payload, from a client or a peer: Netty cannot send one. */
    EMPTY("empty"),
    /** A new client while {@code MaxSessions} sessions are live. */
    SESSION_LIMIT("session_limit"),
    /** Every peer of the upstream, backup included, is down. */
    NO_PEER("no_peer"),
    /** Sending failed on every peer tried ({@code MaxTryTimes}). */
    SEND_ERROR("send_error"),
    /** A datagram reached a session socket from an address that is no peer IP. */
    FOREIGN_REPLY("foreign_reply"),
    /**
     * The socket it was to leave by (a session's, toward a peer, or the listener, toward a client)
     * still held more than its write-buffer high water mark after a flush: the kernel is not taking
     * datagrams, and queueing more would only pin receive buffers.
     */
    BACKPRESSURE("backpressure"),
    /**
     * A client datagram from one of Stevedore's own addresses (a listener or a session socket) or
     * from a configured peer: relayed, its reply would come back as another client datagram, and
     * so on without end. Such a source is spoofed, or a peer misconfigured to talk to us.
     */
    LOOP("loop"),
    /**
     * A datagram from a source of {@code Server.ProxyProtocolFrom} that does not start with a valid
     * PROXY protocol v2 header (or has nothing after it): its client is unknown, so it goes nowhere.
     */
    PROXY_HEADER("proxy_header"),
    /**
     * A client datagram the kernel dropped at a listening socket whose receive buffer
     * ({@code Server.RecvBufBytes}) was full: counted by the kernel, read from its per-socket drop
     * counters when the metrics are collected (see {@link SocketDrops}).
     */
    OVERFLOW("overflow", true),
    /**
     * A peer's reply the kernel dropped at a session socket whose receive buffer
     * ({@code Session.RecvBufBytes}) was full; read like {@link #OVERFLOW}. The health probes'
     * sockets count here too.
     */
    SESSION_OVERFLOW("session_overflow", true);

    private final String label;
    private final boolean kernel;

    DropReason(String label) {
        this(label, false);
    }

    DropReason(String label, boolean kernel) {
        this.label = label;
        this.kernel = kernel;
    }

    public String label() {
        return label;
    }

    /** Whether the kernel drops and counts these, not an event loop. */
    public boolean kernel() {
        return kernel;
    }

    /** The reason whose label is {@code label}, e.g. {@code "no_route"}. */
    public static DropReason ofLabel(String label) {
        for (DropReason reason : values()) {
            if (reason.label.equals(label)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("no drop reason \"" + label + "\"");
    }
}
