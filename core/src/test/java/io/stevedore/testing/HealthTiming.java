package io.stevedore.testing;

import io.stevedore.config.HealthCheckConfig;
import java.time.Duration;

/**
 * Health checks under test run with each configured second shortened to {@link #SECOND}, so a probe
 * cycle takes a few hundred milliseconds. A wait for a peer to change state is bounded by the
 * deadline an operator would reckon from the interval and timeout, plus {@link #SLACK}.
 */
public final class HealthTiming {

    public static final Duration SECOND = Duration.ofMillis(100);
    /** Room for a loaded machine: a round of a test's conversations alone once took most of a second. */
    public static final Duration SLACK = Duration.ofSeconds(2);

    private HealthTiming() {
    }

    /** A peer goes down on the probe after the failure, plus its timeout, failedTimes over. */
    public static Duration downWithin(HealthCheckConfig c) {
        return SECOND.multipliedBy((long) c.failedTimes() * (c.heartbeatIntervalSec() + c.heartbeatTimeoutSec()))
                .plus(SLACK);
    }

    /** A peer comes back after successTimes probes, the first up to an interval away. */
    public static Duration upWithin(HealthCheckConfig c) {
        return SECOND.multipliedBy((long) c.successTimes() * c.heartbeatIntervalSec() + c.heartbeatTimeoutSec())
                .plus(SLACK);
    }
}
