package io.stevedore.config;

import java.util.Optional;

/**
 * {@code Upstream.HealthChecker}. Without {@code expect} a probe fails only on ICMP port
 * unreachable (the original's rule); with it, only a reply starting with those bytes succeeds.
 */
public record HealthCheckConfig(
        int heartbeatIntervalSec,
        int heartbeatTimeoutSec,
        int successTimes,
        int failedTimes,
        byte[] send,
        Optional<byte[]> expect) {

    public static final int DEFAULT_INTERVAL_SEC = 5;
    public static final int DEFAULT_TIMEOUT_SEC = 3;
    public static final int DEFAULT_SUCCESS_TIMES = 1;
    public static final int DEFAULT_FAILED_TIMES = 1;
    public static final String DEFAULT_SEND = "heartbeat";
}
