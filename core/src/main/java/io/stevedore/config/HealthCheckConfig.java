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

    static final Keys KEYS = new Keys();
    public static final IntKey HEARTBEAT_INTERVAL_SEC = KEYS.integer("HeartbeatIntervalSec", 5, 1, Integer.MAX_VALUE);
    public static final IntKey HEARTBEAT_TIMEOUT_SEC = KEYS.integer("HeartbeatTimeoutSec", 3, 1, Integer.MAX_VALUE);
    public static final IntKey SUCCESS_TIMES = KEYS.integer("SuccessTimes", 1, 1, Integer.MAX_VALUE);
    public static final IntKey FAILED_TIMES = KEYS.integer("FailedTimes", 1, 1, Integer.MAX_VALUE);
    static final String SEND = KEYS.key("Send");
    static final String EXPECT = KEYS.key("Expect");
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
