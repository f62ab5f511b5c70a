package io.stevedore.config;

import java.net.InetAddress;
import java.util.List;

/**
 * The {@code Session} section: how long an idle client keeps its upstream socket, and how many may.
 *
 * @param sourceAddrs local addresses the session sockets are bound to in turn, each with a port the
 *     kernel chooses; empty binds each to the wildcard address, with a port the kernel chooses. All of one family, the peers' (see docs/config.md).
 */
public record SessionConfig(int timeoutSec, int recycleIntervalSec, int maxSessions, List<InetAddress> sourceAddrs) {

    public static final int DEFAULT_TIMEOUT_SEC = 30;
    public static final int DEFAULT_RECYCLE_INTERVAL_SEC = 10;
    public static final int DEFAULT_MAX_SESSIONS = 100_000;

    public SessionConfig {
        sourceAddrs = List.copyOf(sourceAddrs);
    }

    /** Without {@code SourceAddrs}: the kernel chooses each session socket's address. */
    public SessionConfig(int timeoutSec, int recycleIntervalSec, int maxSessions) {
        this(timeoutSec, recycleIntervalSec, maxSessions, List.of());
    }
}
