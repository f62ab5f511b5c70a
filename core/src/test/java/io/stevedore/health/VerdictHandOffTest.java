package io.stevedore.health;

import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.downWithin;
import static io.stevedore.testing.HealthTiming.upWithin;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The health checks judge and {@link PeerStates} writes: while the peer-state thread is held, the
 * probes go on and the peer they condemned stays up; once released, the verdict is applied there,
 * one line, and the probes' streak is not thrown off by the wait.
 */
class VerdictHandOffTest {

    private static UpstreamConfig rr(String name, Optional<HealthCheckConfig> check, InetSocketAddress... peers) {
        return new UpstreamConfig(name, BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(),
                List.of(peers).stream().map(address -> new PeerConfig(address, 1, false)).toList(), check,
                Affinity.PACKET, false);
    }

    @Test
    void anActiveVerdictIsAppliedOnThePeerStateThreadOnly() throws Exception {
        HealthCheckConfig check = new HealthCheckConfig(1, 1, 2, 1, "ping".getBytes(US_ASCII), Optional.empty());
        try (UdpBackend backend = UdpBackend.open("127.0.0.2", UdpBackend.ECHO);
             StateLog log = new StateLog();
             PeerStates states = PeerStates.start(List.of(
                     rr("checked", Optional.of(check), backend.address()),
                     rr("spare", Optional.empty(), new InetSocketAddress("127.0.0.9", 9))))) {
            Upstream checked = states.upstreams().get(0);
            Upstream spare = states.upstreams().get(1);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            try (HealthCheckers checkers = HealthCheckers.start(List.of(checked, spare), SECOND, states)) {
                ProbeCounts probes = checkers.probeCounts("checked").orElseThrow();
                Poll.until(upWithin(check), "the peer answered a probe", () -> probes.successes(0) > 0);

                // A task run by the peer-state thread itself keeps it busy until released.
                states.suspect(spare, 0, "holding the peer-state thread", Runnable::run, () -> {
                    held.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
                try {
                    backend.stop();
                    // FailedTimes 1: the first failure was the verdict; the later ones show it was handed over.
                    Poll.until(downWithin(check).multipliedBy(3), "three failed probes", () -> probes.failures(0) >= 3);
                    assertThat(checked.isUp(0)).as("the health thread did not mark the peer down itself").isTrue();
                } finally {
                    release.countDown();
                }
                Poll.until(downWithin(check), "the verdict applied", () -> !checked.isUp(0));
                log.expectLine("upstream checked", "up -> down", "probe: ICMP port unreachable");

                backend.restart();
                Poll.until(upWithin(check), "up again after two successes", () -> checked.isUp(0));
                log.expectLine("upstream checked", "down -> up", "probe: 2 consecutive successes");
            }
            assertThat(log.lines()).filteredOn(line -> line.startsWith("upstream checked"))
                    .as("one line per change: the failures while held did not restart the streak").hasSize(2);
            assertThat(log.threads()).containsOnly(PeerStates.THREAD_NAME);
        }
    }
}
