package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A short smoke of the load tool against its own echo on loopback: every shape runs for under a
 * second and must account for every datagram. No throughput is asserted; the benchmark does that.
 */
class LoadRunTest {

    /** Generous: a run of 0.2 + 0.6 s must end by itself long before this, even on a busy machine. */
    private static final Duration BOUND = Duration.ofSeconds(20);

    private static EchoServer echo;
    private static List<InetSocketAddress> backends;

    @BeforeAll
    static void startEcho() {
        echo = EchoServer.start(List.of(
                new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0), "b1"),
                new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.3"), 0), "b2")),
                1, EchoServer.DEFAULT_MAX_DATAGRAM);
        backends = echo.listeners().stream().map(EchoServer.Listener::address).toList();
    }

    @AfterAll
    static void stopEcho() {
        echo.close();
    }

    private static LoadSpec.Builder shortRun() {
        return LoadSpec.builder()
                .targets(backends)
                .sockets(4)
                .convsPerSocket(3)
                .sourceIps(Loopback.addresses("127.0.0.10-127.0.0.11"))
                .warmup(Duration.ofMillis(200))
                .duration(Duration.ofMillis(600));
    }

    private static LoadResult run(LoadSpec spec) {
        return assertTimeoutPreemptively(BOUND, () -> LoadRun.run(spec));
    }

    private static void assertAccountedFor(LoadResult result) {
        assertThat(result.stoppedBy()).isEqualTo("duration");
        assertThat(result.sent()).isPositive();
        assertThat(result.received()).isPositive().isLessThanOrEqualTo(result.sent());
        assertThat(result.lost()).isEqualTo(result.sent() - result.received());
        assertThat(result.latencyMicros().count()).isEqualTo(result.received());
        assertThat(result.latencyMicros().p50()).isPositive();
        assertThat(result.backends().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(result.received());
        assertThat(result.backends()).containsOnlyKeys("b1", "b2");
        assertThat(result.conversations()).isEqualTo(12);
        assertThat(result.conversationsAnswered()).isEqualTo(12);
        assertThat(result.conversationsOnSeveralBackends()).isZero();
        assertThat(result.stray()).isZero();
        assertThat(result.sendErrors()).isZero();
        assertThat(result.seconds()).isBetween(0.5, 5.0);
    }

    @Test
    void closedLoopKeepsItsWindowAndLosesNothingOnLoopback() {
        LoadResult result = run(shortRun().shape(Shape.CLOSED).window(4).build());

        assertAccountedFor(result);
        assertThat(result.lost()).isZero();
    }

    @Test
    void fixedRateSendsAboutTheRateAsked() {
        LoadResult result = run(shortRun().shape(Shape.RATE).rate(2000).build());

        assertAccountedFor(result);
        // Loose on purpose: only that it paces, not how well on a busy machine.
        assertThat(result.sent()).isBetween(300L, 2400L);
    }

    @Test
    void floodCountsEveryDatagramItSends() {
        LoadResult result = run(shortRun().shape(Shape.FLOOD).build());

        assertAccountedFor(result);
    }

    @Test
    void oneAtATimeIsAClosedLoopOfOne() {
        LoadResult result = run(shortRun().sockets(1).convsPerSocket(1).targets(backends.subList(0, 1))
                .shape(Shape.CLOSED).window(1).build());

        assertThat(result.received()).isPositive();
        assertThat(result.sent() - result.received()).isBetween(0L, 1L);
        assertThat(result.backends()).containsOnlyKeys("b1");
        assertThat(result.conversationsOnSeveralBackends()).isZero();
    }

    @Test
    void theCountBoundStopsSendingBeforeTheDuration() {
        LoadResult result = run(shortRun().shape(Shape.FLOOD).duration(Duration.ofSeconds(30))
                .warmup(Duration.ZERO).maxDatagrams(1000).build());

        assertThat(result.stoppedBy()).isEqualTo("max-datagrams");
        assertThat(result.sent()).isLessThanOrEqualTo(1000);
        assertThat(result.received()).isLessThanOrEqualTo(result.sent());
    }

    @Test
    void aSilentTargetLosesEverythingAndTheClosedLoopResendsAfterTheTimeout() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(Loopback.address("127.0.0.2"), 0))) {
            LoadResult result = run(shortRun()
                    .targets(List.of((InetSocketAddress) silent.getLocalSocketAddress()))
                    .shape(Shape.CLOSED).window(2).lossTimeout(Duration.ofMillis(50)).build());

            assertThat(result.received()).isZero();
            assertThat(result.lost()).isEqualTo(result.sent()).isPositive();
            assertThat(result.lossPercent()).isEqualTo(100.0);
            assertThat(result.resent()).isPositive();
            assertThat(result.latencyMicros().count()).isZero();
            assertThat(result.conversationsAnswered()).isZero();
        }
    }

    @Test
    void theCpuOfAWatchedProcessIsReported() {
        long self = ProcessHandle.current().pid();
        LoadResult result = run(shortRun().shape(Shape.CLOSED).cpuPids(List.of(self)).build());

        assertThat(result.cpuSeconds()).containsOnlyKeys(self);
        assertThat(result.cpuSeconds().get(self)).isGreaterThanOrEqualTo(0.0);
        assertThat(result.clientCpuSeconds()).isGreaterThanOrEqualTo(0.0);
    }
}
