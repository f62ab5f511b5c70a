package io.stevedore.config;

/** The {@code Session} section: how long an idle client keeps its upstream socket, and how many may. */
public record SessionConfig(int timeoutSec, int recycleIntervalSec, int maxSessions) {

    public static final int DEFAULT_TIMEOUT_SEC = 30;
    public static final int DEFAULT_RECYCLE_INTERVAL_SEC = 10;
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
}
