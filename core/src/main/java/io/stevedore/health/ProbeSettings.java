package io.stevedore.health;

import io.stevedore.config.HealthCheckConfig;
import io.stevedore.proxyprotocol.ProxyHeader;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * One upstream's probing rules with times as {@link Duration}s. The config speaks in whole
 * seconds; {@link #of(HealthCheckConfig, Duration)} lets tests shrink the second so a probe
 * cycle takes milliseconds instead of seconds.
 *
 * @param send   the probe payload
 * @param expect if present, a probe succeeds only on a reply starting with these bytes; if
 *               absent, only ICMP port unreachable (or a failed send) makes it fail
 */
public record ProbeSettings(
        Duration interval,
        Duration timeout,
        int successTimes,
        int failedTimes,
        byte[] send,
        Optional<byte[]> expect) {

    private static final Duration SECOND = Duration.ofSeconds(1);

    public static ProbeSettings of(HealthCheckConfig config) {
        return of(config, SECOND);
    }

    /** {@code config} with each configured second lasting {@code second}. */
    public static ProbeSettings of(HealthCheckConfig config, Duration second) {
        return of(config, second, false);
    }

    /**
     * @param proxyProtocol the peers expect a PROXY protocol v2 header on every datagram: the probe
     *     carries a LOCAL one, which names no client, so that they answer it rather than drop it
     */
    public static ProbeSettings of(HealthCheckConfig config, Duration second, boolean proxyProtocol) {
        return new ProbeSettings(
                second.multipliedBy(config.heartbeatIntervalSec()),
                second.multipliedBy(config.heartbeatTimeoutSec()),
                config.successTimes(),
                config.failedTimes(),
                proxyProtocol ? withLocalHeader(config.send()) : config.send(),
                config.expect());
    }

    private static byte[] withLocalHeader(byte[] payload) {
        byte[] header = ProxyHeader.local();
        byte[] probe = Arrays.copyOf(header, header.length + payload.length);
        System.arraycopy(payload, 0, probe, header.length, payload.length);
        return probe;
    }

    /** {@code 3s} or {@code 200ms}, as the reasons in the log read best. */
    static String describe(Duration duration) {
        if (duration.toMillis() % 1000 == 0) {
            return duration.toSeconds() + "s";
        }
        return duration.toMillis() + "ms";
    }
}
