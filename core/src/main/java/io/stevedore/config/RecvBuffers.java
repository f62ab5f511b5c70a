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
     * 131072 granted: 157 datagrams of 64 bytes, 56 of 1200, per listening socket. Chosen by the
     * flood's round trip against nginx's (docs/performance.md, "The listeners' default"): twice
     * this kept a flood's p99 a third above nginx's, where this matches it.
     */
    static final int LISTENER_DEFAULT = 64 << 10;
    static final int SESSION_DEFAULT = 128 << 10;

    private RecvBuffers() {
    }
}
