package io.stevedore.config;

/**
 * The bounds and defaults of {@code Server.RecvBufBytes} and {@code Session.RecvBufBytes}. Linux
 * doubles what SO_RCVBUF asks (the other half is its bookkeeping: a 64-byte datagram costs about
 * 1 KiB of buffer on loopback) and caps the request at {@code net.core.rmem_max}.
 */
final class RecvBuffers {

    /** Below this the kernel would queue a handful of datagrams at most. */
    static final int MIN = 4096;
    /** A gibibyte: far above any rmem_max a host sets, and still an int once the kernel doubles it. */
    static final int MAX = 1 << 30;
    /**
     * 262144 granted: 315 datagrams of 64 bytes, 113 of 1200, per listening socket: room for a
     * storm of new sessions (300 clients within a millisecond, each costing the loop a socket to
     * open), which half of it loses part of.
     */
    static final int LISTENER_DEFAULT = 128 << 10;
    /**
     * Half the default while the kernel drops at the socket: a flood's p99 round trip then matches
     * nginx's (docs/performance.md, "Where a flood's datagrams wait").
     */
    static final int LISTENER_FLOOD_DEFAULT = 64 << 10;
    static final int SESSION_DEFAULT = 128 << 10;

    private RecvBuffers() {
    }
}
