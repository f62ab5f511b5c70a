package io.stevedore.config;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The {@code Server} section: where clients send and how the listeners read.
 *
 * @param proxyProtocolFrom the sources whose every datagram starts with a PROXY protocol v2 header
 *     naming the real client (a trusted front tier); empty: none
 * @param floodRecvBufBytes SO_RCVBUF of a listening socket while the kernel drops datagrams at it, when
 *     smaller than {@code recvBufBytes}
 * @param adaptiveBatch whether each read offers as many of the {@code BatchSize} slots as the
 *     socket's last reads needed (one, read with recvmsg, where traffic is light), rather than all
 */
public record ServerConfig(
        InetSocketAddress listenAddr,
        int listenParallel,
        int batchSize,
        int bufSize,
        int maxTryTimes,
        List<Cidr> proxyProtocolFrom,
        int recvBufBytes,
        int floodRecvBufBytes,
        boolean adaptiveBatch) {

    public static final int DEFAULT_PORT = 2614;

    static final Keys KEYS = new Keys();
    static final String LISTEN_ADDR = KEYS.key("ListenAddr");
    public static final IntKey LISTEN_PARALLEL = KEYS.integer("ListenParallel",
            Runtime.getRuntime().availableProcessors(), 1, 1024);
    /** recvmmsg/sendmmsg take at most UIO_MAXIOV (1024) messages per call. */
    public static final IntKey BATCH_SIZE = KEYS.integer("BatchSize", 32, 1, 1024);
    public static final IntKey BUF_SIZE = KEYS.integer("BufSize", 4096, 1, 65535);
    public static final IntKey MAX_TRY_TIMES = KEYS.integer("MaxTryTimes", 3, 1, Integer.MAX_VALUE);
    static final String PROXY_PROTOCOL_FROM = KEYS.key("ProxyProtocolFrom");
    /**
     * SO_RCVBUF of each listening socket outside a flood (see {@link #FLOOD_RECV_BUF_BYTES}); the
     * kernel doubles it and caps it at net.core.rmem_max.
     */
    public static final IntKey RECV_BUF_BYTES = KEYS.integer("RecvBufBytes", RecvBuffers.LISTENER_DEFAULT,
            RecvBuffers.MIN, RecvBuffers.MAX);
    /**
     * SO_RCVBUF of a listening socket while the kernel drops datagrams at it: in a flood the buffer
     * stays full and is the time each datagram waits, so it shrinks; outside one the larger
     * {@code RecvBufBytes} takes bursts. At or above {@code RecvBufBytes}: no shrinking.
     */
    public static final IntKey FLOOD_RECV_BUF_BYTES = KEYS.integer("FloodRecvBufBytes", RecvBuffers.LISTENER_FLOOD_DEFAULT,
            RecvBuffers.MIN, RecvBuffers.MAX);
    static final BoolKey ADAPTIVE_BATCH = KEYS.bool("AdaptiveBatch", true);
    // The Go original's event loop and task pool; Netty's event loops replace them.
    static final String EVENT_SIZE = KEYS.ignored("EventSize");
    static final String EVENT_CHAN_SIZE = KEYS.ignored("EventChanSize");
    static final String TASK_POOL_SIZE = KEYS.ignored("TaskPoolSize");
    static final String TASK_POOL_TIMEOUT_SEC = KEYS.ignored("TaskPoolTimeoutSec");

    public ServerConfig {
        proxyProtocolFrom = List.copyOf(proxyProtocolFrom);
    }

    /** A section that trusts no source with a PROXY header, with the default receive buffer. */
    public ServerConfig(InetSocketAddress listenAddr, int listenParallel, int batchSize, int bufSize, int maxTryTimes) {
        this(listenAddr, listenParallel, batchSize, bufSize, maxTryTimes, List.of(), RECV_BUF_BYTES.defaultValue(),
                FLOOD_RECV_BUF_BYTES.defaultValue(), ADAPTIVE_BATCH.defaultValue());
    }

    /** This section listening on {@code listenAddr} instead. */
    public ServerConfig listeningOn(InetSocketAddress listenAddr) {
        return new ServerConfig(listenAddr, listenParallel, batchSize, bufSize, maxTryTimes, proxyProtocolFrom,
                recvBufBytes, floodRecvBufBytes, adaptiveBatch);
    }
}
