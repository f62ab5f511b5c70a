package io.stevedore.config;

import java.util.Arrays;
import java.util.Objects;
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

    /**
     * Equal when every setting is, the probe bytes compared by content: a reload keeps the probe
     * state of an upstream whose checker is unchanged, so two loads of one file must compare equal.
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof HealthCheckConfig o
                && heartbeatIntervalSec == o.heartbeatIntervalSec
                && heartbeatTimeoutSec == o.heartbeatTimeoutSec
                && successTimes == o.successTimes
                && failedTimes == o.failedTimes
                && Arrays.equals(send, o.send)
                && expect.isPresent() == o.expect.isPresent()
                && (expect.isEmpty() || Arrays.equals(expect.get(), o.expect.get()));
    }

    @Override
    public int hashCode() {
        return Objects.hash(heartbeatIntervalSec, heartbeatTimeoutSec, successTimes, failedTimes,
                Arrays.hashCode(send), expect.map(Arrays::hashCode).orElse(0));
    }
}
