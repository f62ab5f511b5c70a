package io.stevedore.health;

import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.SLACK;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ReloadDecision;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A reload as run mode does it ({@code cli.Runner}): the checkers close, the data plane takes the
 * new configuration, the checkers' successor starts on the new upstreams. Real daemon, real
 * backends on loopback, probes on {@link io.stevedore.testing.HealthTiming}'s short seconds.
 */
@ExtendWith(NettyLeakCheck.class)
class ReloadedHealthTest {

    /** 1 s between probes at test seconds: room for a reload between two probes on a loaded machine. */
    private static final int INTERVAL_SEC = 10;
    private static final Duration ONE_PROBE = SECOND.multipliedBy(INTERVAL_SEC + 1).plus(SLACK);

    private static String config(String send, String expect, int failedTimes, InetSocketAddress... peers) {
        String list = Arrays.stream(peers)
                .map(p -> "{\"IP\": \"" + p.getHostString() + "\", \"Port\": " + p.getPort() + "}")
                .collect(Collectors.joining(", "));
        String expectKey = expect == null ? "" : ", \"Expect\": \"" + expect + "\"";
        return """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                  "Upload": {
                    "DefaultUpstream": "pool",
                    "Upstreams": [{"Name": "pool", "Type": "rr", "Peers": [%s],
                      "HealthChecker": {"HeartbeatIntervalSec": %d, "HeartbeatTimeoutSec": 1, "SuccessTimes": 1,
                                        "FailedTimes": %d, "Send": "%s"%s}}]
                  }
                }
                """.formatted(list, INTERVAL_SEC, failedTimes, send, expectKey);
    }

    private static StevedoreConfig parse(String json) throws Exception {
        return ConfigLoader.parse(json).config();
    }

    private static int index(Upstream upstream, InetSocketAddress address) {
        return upstream.peers().stream().filter(p -> p.address().equals(address)).findFirst().orElseThrow().index();
    }

    /**
     * Answers probes (payloads starting with {@code ping}) with {@code pong}, or with {@code nope}
     * while {@link #wrong} is above zero, counting it down; remembers every probe payload.
     */
    private static final class Scripted implements UnaryOperator<byte[]> {

        final AtomicInteger wrong = new AtomicInteger();
        final Queue<String> probes = new ConcurrentLinkedQueue<>();

        @Override
        public byte[] apply(byte[] payload) {
            String text = new String(payload, US_ASCII);
            if (!text.startsWith("ping")) {
                return payload;
            }
            probes.add(text);
            boolean answerWrong = wrong.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            return (answerWrong ? "nope" : "pong").getBytes(US_ASCII);
        }
    }

    /** Runner's order: close, reload the data plane, start the successor. */
    private static HealthCheckers reload(Daemon daemon, HealthCheckers running,
                                         StevedoreConfig next) throws InterruptedException {
        running.close();
        ReloadDecision decision = ControlPlane.replan(daemon, next);
        return running.successor(daemon.upstreams(), decision.checkers(ReloadDecision.Checker.KEPT));
    }

    @Test
    void aDeadPeerStaysDownAcrossAReloadAndGetsNoTraffic() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3);
                EchoBackend b4 = EchoBackend.start("127.0.0.4", 4);
                StateLog log = new StateLog();
                Daemon daemon = ControlPlane.startDataPlane(
                        parse(config("ping", null, 1, b2.address(), b3.address())));
                Client client = new Client(daemon.listenAddress())) {
            b3.stop();
            HealthCheckers checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
            try {
                Upstream before = daemon.upstreams().get(0);
                Poll.until(ONE_PROBE, "dead peer 127.0.0.3 down", () -> !before.isUp(index(before, b3.address())));

                checkers = reload(daemon, checkers,
                        parse(config("ping", null, 1, b2.address(), b3.address(), b4.address())));

                Upstream after = daemon.upstreams().get(0);
                assertThat(after).isNotSameAs(before);
                assertThat(after.isUp(index(after, b3.address()))).as("the dead peer right after the reload").isFalse();
                assertThat(after.isUp(index(after, b4.address()))).as("a new peer starts up").isTrue();
                for (int i = 0; i < 20; i++) {
                    assertThat(client.request(new byte[] {(byte) i}).backend()).isIn(2, 4);
                }
                ProbeCounts probes = checkers.probeCounts("pool").orElseThrow();
                int dead = index(after, b3.address());
                Poll.until(ONE_PROBE.multipliedBy(2), "two probes of the dead peer after the reload",
                        () -> probes.failures(dead) >= 2);
                assertThat(after.isUp(dead)).isFalse();
                assertThat(daemon.counters().peer("pool", b3.address(), PeerCounter.FORWARDED_DATAGRAMS)).isZero();
                assertThat(log.lines()).as("state changes of the dead peer")
                        .filteredOn(line -> line.contains(Addresses.format(b3.address())))
                        .singleElement().asString().contains("up -> down");
            } finally {
                checkers.close();
            }
        }
    }

    @Test
    void aStreakOneFailureShortOfDownIsStillCountedAfterAnUnchangedReload() throws Exception {
        Scripted script = new Scripted();
        try (UdpBackend peer = UdpBackend.open("127.0.0.2", script);
                StateLog log = new StateLog();
                Daemon daemon = ControlPlane.startDataPlane(
                        parse(config("ping", "pong", 3, peer.address())))) {
            String file = config("ping", "pong", 3, peer.address());
            HealthCheckers checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
            try {
                ProbeCounts first = checkers.probeCounts("pool").orElseThrow();
                Poll.until(ONE_PROBE, "a good answer", () -> first.successes(0) >= 1);
                long successes = first.successes(0);

                script.wrong.set(2);
                Poll.until(ONE_PROBE.multipliedBy(2), "two wrong answers", () -> first.failures(0) == 2);
                checkers.close();
                assertThat(first.successes(0)).as("no probe between the streak and the reload").isEqualTo(successes);

                script.wrong.set(1);
                checkers = reload(daemon, checkers, parse(file));

                Upstream pool = daemon.upstreams().get(0);
                Poll.until(ONE_PROBE, "the third failure in a row, the first after the reload, takes it down",
                        () -> !pool.isUp(0));
                log.expectLine(Addresses.format(peer.address()), "up -> down", "probe: 3 consecutive failures");
                assertThat(checkers.probeCounts("pool").orElseThrow().failures(0)).isEqualTo(1);
                Poll.until(ONE_PROBE, "back up on the next good answer", () -> pool.isUp(0));
            } finally {
                checkers.close();
            }
        }
    }

    @Test
    void aChangedHealthCheckerRestartsProbingButKeepsUpAndDown() throws Exception {
        Scripted script = new Scripted();
        InetSocketAddress dead = UdpBackend.closedPort("127.0.0.3");
        try (UdpBackend peer = UdpBackend.open("127.0.0.2", script);
                StateLog log = new StateLog();
                Daemon daemon = ControlPlane.startDataPlane(
                        parse(config("ping", "pong", 2, peer.address(), dead)))) {
            HealthCheckers checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
            try {
                Upstream before = daemon.upstreams().get(0);
                ProbeCounts first = checkers.probeCounts("pool").orElseThrow();
                Poll.until(ONE_PROBE.multipliedBy(2), "the closed port down", () -> !before.isUp(1));
                Poll.until(ONE_PROBE, "a good answer", () -> first.successes(0) >= 1);

                script.wrong.set(1);
                Poll.until(ONE_PROBE, "one wrong answer", () -> first.failures(0) == 1);
                checkers.close();

                script.wrong.set(1);
                checkers = reload(daemon, checkers, parse(config("ping2", "pong", 2, peer.address(), dead)));

                Upstream after = daemon.upstreams().get(0);
                assertThat(after.isUp(1)).as("the closed port right after the reload").isFalse();
                ProbeCounts probes = checkers.probeCounts("pool").orElseThrow();
                Poll.until(ONE_PROBE.multipliedBy(2), "a wrong then a good answer to the new probe",
                        () -> probes.failures(0) == 1 && probes.successes(0) >= 1);
                Poll.until(ONE_PROBE, "the closed port probed again", () -> probes.failures(1) >= 1);

                assertThat(script.probes).contains("ping2");
                assertThat(after.isUp(0)).as("a streak of one failure after a restart").isTrue();
                assertThat(after.isUp(1)).isFalse();
                List<String> lines = log.lines();
                assertThat(lines).noneMatch(line -> line.contains(Addresses.format(peer.address())));
                assertThat(lines).filteredOn(line -> line.contains(Addresses.format(dead)))
                        .singleElement().asString().contains("up -> down");
            } finally {
                checkers.close();
            }
        }
    }
}
