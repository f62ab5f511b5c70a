package io.stevedore.config;

import java.net.InetAddress;
import java.util.List;

/**
 * The {@code Session} section: how long an idle client keeps its upstream socket, and how many may.
 *
 * @param sourceAddrs local addresses the session sockets are bound to in turn, each with a port the
 *     kernel chooses; empty binds each to the wildcard address, with a port the kernel chooses. All of one family, the peers' (see docs/config.md).
 */
public record SessionConfig(int timeoutSec, int recycleIntervalSec, int maxSessions, List<InetAddress> sourceAddrs,
        int recvBufBytes) {

    static final Keys KEYS = new Keys();
    public static final IntKey TIMEOUT_SEC = KEYS.integer("TimeoutSec", 30, 1, Integer.MAX_VALUE);
    public static final IntKey RECYCLE_INTERVAL_SEC = KEYS.integer("RecycleIntervalSec", 10, 1, Integer.MAX_VALUE);
    public static final IntKey MAX_SESSIONS = KEYS.integer("MaxSessions", 100_000, 1, Integer.MAX_VALUE);
    static final String SOURCE_ADDRS = KEYS.key("SourceAddrs");
    /** SO_RCVBUF of each new session socket: how many of a peer's replies may queue while the loop is busy. */
    public static final IntKey RECV_BUF_BYTES = KEYS.integer("RecvBufBytes", RecvBuffers.SESSION_DEFAULT,
            RecvBuffers.MIN, RecvBuffers.MAX);

    public SessionConfig {
        sourceAddrs = List.copyOf(sourceAddrs);
    }

    /** Without {@code SourceAddrs}: the kernel chooses each session socket's address. */
    public SessionConfig(int timeoutSec, int recycleIntervalSec, int maxSessions) {
        this(timeoutSec, recycleIntervalSec, maxSessions, List.of(), RECV_BUF_BYTES.defaultValue());
    }
}
