package io.stevedore.health;

import static io.stevedore.health.UdpBackend.ECHO;
import static io.stevedore.health.UdpBackend.SILENT;
import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.SLACK;
import static io.stevedore.testing.HealthTiming.downWithin;
import static io.stevedore.testing.HealthTiming.upWithin;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.testing.Poll;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Active health checks against real UDP backends on loopback, observed through the upstream's
 * state and its selector. Health checks run on {@link io.stevedore.testing.HealthTiming}'s short
 * seconds, and every wait is bounded by a deadline derived from the interval and timeout.
 */
class HealthCheckersTest {

    private static final int CONVERSATIONS = 1000;
    private static final byte[] PING = "ping".getBytes(US_ASCII);
    private static final byte[] PONG = "pong".getBytes(US_ASCII);

    private static HealthCheckConfig check(int intervalSec, int timeoutSec, int successTimes, int failedTimes,
                                           byte[] expect) {
        return new HealthCheckConfig(intervalSec, timeoutSec, successTimes, failedTimes, PING,
                Optional.ofNullable(expect));
    }

    private static Upstream kcp(String name, Optional<HealthCheckConfig> check, PeerConfig... peers) {
        return Upstream.of(new UpstreamConfig(name, BalanceType.CHASH, Optional.of(new KeyBytes(0, 4)),
                UpstreamConfig.TABLE_SIZE.defaultValue(), List.of(peers), check, Affinity.PACKET, false));
    }

    private static PeerConfig primary(InetSocketAddress address) {
        return new PeerConfig(address, 1, false);
    }

    private static PeerConfig backup(InetSocketAddress address) {
        return new PeerConfig(address, 1, true);
    }

    /** The peer each of {@link #CONVERSATIONS} KCP conversation ids goes to right now. */
    private static int[] conversations(Upstream upstream) {
        Selector selector = upstream.newSelector();
        ByteBuf datagram = Unpooled.buffer(24);
        try {
            int[] peers = new int[CONVERSATIONS];
            for (int conv = 0; conv < CONVERSATIONS; conv++) {
                datagram.clear().writeInt(conv * 0x9E3779B9).writeZero(20);
                peers[conv] = selector.select(datagram);
            }
            return peers;
        } finally {
            datagram.release();
        }
    }

    private static long moved(int[] before, int[] after, int exceptPeer) {
        return IntStream.range(0, before.length).filter(i -> before[i] != exceptPeer && after[i] != before[i]).count();
    }

    @Test
    void aStoppedBackendGoesDownAndOnlyItsConversationsMoveThenComeBackWhenItRestarts() {
        HealthCheckConfig check = check(2, 3, 2, 1, null);
        try (UdpBackend a = UdpBackend.open("127.0.0.2", ECHO);
             UdpBackend b = UdpBackend.open("127.0.0.3", ECHO);
             UdpBackend c = UdpBackend.open("127.0.0.4", ECHO);
             StateLog log = new StateLog()) {
            Upstream kcp = kcp("kcp", Optional.of(check),
                    primary(a.address()), primary(b.address()), primary(c.address()));
            try (HealthCheckers checkers = HealthCheckers.start(List.of(kcp), SECOND)) {
                ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();
                Poll.until(upWithin(check), "every peer answered a probe",
                        () -> probes.successes(0) > 0 && probes.successes(1) > 0 && probes.successes(2) > 0);
                int[] before = conversations(kcp);
                assertThat(before).contains(0, 1, 2);

                b.stop();
                Poll.until(downWithin(check), "stopped peer b down", () -> !kcp.isUp(1));
                int[] without = conversations(kcp);
                assertThat(without).doesNotContain(1).contains(0, 2);
                assertThat(moved(before, without, 1)).as("conversations of other peers that moved")
                        .isLessThanOrEqualTo(CONVERSATIONS / 100);
                assertThat(kcp.isUp(0)).isTrue();
                assertThat(kcp.isUp(2)).isTrue();
                log.expectLine("upstream kcp", Addresses.format(b.address()),
                        "up -> down", "probe: ICMP port unreachable");

                long successesWhileDown = probes.successes(1);
                b.restart();
                Poll.until(upWithin(check), "restarted peer b up", () -> kcp.isUp(1));
                assertThat(probes.successes(1) - successesWhileDown).isGreaterThanOrEqualTo(2);
                assertThat(conversations(kcp)).as("every conversation back where it was").isEqualTo(before);
                log.expectLine("upstream kcp", "down -> up", "probe: 2 consecutive successes");
                assertThat(probes.failures(0)).isZero();
                assertThat(probes.failures(2)).isZero();
            }
        }
    }

    @Test
    void theBackupAnswersEverythingOnlyWhileEveryPrimaryIsDown() {
        HealthCheckConfig check = check(2, 1, 1, 1, null);
        try (UdpBackend a = UdpBackend.open("127.0.0.2", ECHO);
             UdpBackend b = UdpBackend.open("127.0.0.3", ECHO);
             UdpBackend spare = UdpBackend.open("127.0.0.4", ECHO)) {
            Upstream kcp = kcp("kcp", Optional.of(check),
                    primary(a.address()), primary(b.address()), backup(spare.address()));
            try (HealthCheckers checkers = HealthCheckers.start(List.of(kcp), SECOND)) {
                assertThat(conversations(kcp)).contains(0, 1).doesNotContain(2);

                a.stop();
                Poll.until(downWithin(check), "primary a down", () -> !kcp.isUp(0));
                assertThat(conversations(kcp)).containsOnly(1);

                b.stop();
                Poll.until(downWithin(check), "primary b down", () -> !kcp.isUp(1));
                assertThat(conversations(kcp)).as("the backup takes every conversation").containsOnly(2);

                a.restart();
                Poll.until(upWithin(check), "primary a up", () -> kcp.isUp(0));
                assertThat(conversations(kcp)).as("the backup is idle again").containsOnly(0);
                assertThat(kcp.isUp(2)).as("the backup itself stayed healthy").isTrue();
                assertThat(checkers.probeCounts("kcp").orElseThrow().failures(2)).isZero();
            }
        }
    }

    @Test
    void aPeerTakenDownByTheDataPlaneIsBroughtBackByProbes() {
        HealthCheckConfig check = check(2, 1, 2, 1, null);
        try (UdpBackend a = UdpBackend.open("127.0.0.2", ECHO);
             UdpBackend b = UdpBackend.open("127.0.0.3", ECHO);
             StateLog log = new StateLog()) {
            Upstream kcp = kcp("kcp", Optional.of(check), primary(a.address()), primary(b.address()));
            try (HealthCheckers checkers = HealthCheckers.start(List.of(kcp), SECOND)) {
                ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();
                Poll.until(upWithin(check), "peer b answered a probe", () -> probes.successes(1) > 0);

                assertThat(kcp.setPeerUp(1, false, "send failed: Connection refused")).isTrue();

                Poll.until(upWithin(check), "peer b up again", () -> kcp.isUp(1));
                assertThat(conversations(kcp)).contains(0, 1);
                log.expectLine("down -> up", "probe: 2 consecutive successes");
            }
        }
    }

    @Test
    void withExpectOnlyABackendAnsweringTheExpectedBytesStaysUp() {
        HealthCheckConfig check = check(2, 3, 1, 1, PONG);
        try (UdpBackend silent = UdpBackend.open("127.0.0.2", SILENT);
             UdpBackend wrong = UdpBackend.open("127.0.0.3", payload -> "nope".getBytes(US_ASCII));
             UdpBackend right = UdpBackend.open("127.0.0.4",
                     payload -> Arrays.equals(payload, PING) ? "pong, v2".getBytes(US_ASCII) : null);
             StateLog log = new StateLog()) {
            Upstream kcp = kcp("kcp", Optional.of(check),
                    primary(silent.address()), primary(wrong.address()), primary(right.address()));
            try (HealthCheckers checkers = HealthCheckers.start(List.of(kcp), SECOND)) {
                ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();

                Poll.until(downWithin(check), "silent peer down", () -> !kcp.isUp(0));
                Poll.until(downWithin(check), "wrongly answering peer down", () -> !kcp.isUp(1));
                Poll.until(upWithin(check).multipliedBy(3), "three good answers", () -> probes.successes(2) >= 3);

                assertThat(kcp.isUp(2)).isTrue();
                assertThat(probes.failures(2)).isZero();
                assertThat(conversations(kcp)).containsOnly(2);
                log.expectLine("up -> down", "probe: no reply within 300ms");
                log.expectLine("up -> down", "probe: unexpected reply 0x6e6f7065");
                assertThat(log.lines()).noneSatisfy(line -> assertThat(line).contains(right.address().getHostString()));
            }
        }
    }

    @Test
    void anUpstreamWithoutHealthCheckerKeepsItsPeersUp() {
        HealthCheckConfig check = check(1, 1, 1, 2, null);
        Upstream checked = kcp("checked", Optional.of(check), primary(UdpBackend.closedPort("127.0.0.2")));
        Upstream plain = kcp("plain", Optional.empty(),
                primary(UdpBackend.closedPort("127.0.0.3")), primary(UdpBackend.closedPort("127.0.0.4")));
        try (StateLog log = new StateLog();
             HealthCheckers checkers = HealthCheckers.start(List.of(checked, plain), SECOND)) {
            // The checked upstream's closed peer going down shows that probing has run meanwhile.
            Poll.until(downWithin(check), "checked peer down", () -> !checked.isUp(0));

            assertThat(plain.isUp(0)).isTrue();
            assertThat(plain.isUp(1)).isTrue();
            assertThat(checkers.probeCounts("plain")).isEmpty();
            assertThat(checkers.probeCounts("checked").orElseThrow().failures(0)).isGreaterThanOrEqualTo(2);
            log.expectLine("upstream checked", "probe: 2 consecutive failures, last: ICMP port unreachable");
            assertThat(log.lines()).hasSize(1);
        }
    }

    @Test
    void upstreamsWithoutHealthCheckerStartNothing() {
        Upstream plain = kcp("plain", Optional.empty(), primary(UdpBackend.closedPort("127.0.0.2")));

        try (HealthCheckers checkers = HealthCheckers.start(List.of(plain))) {
            assertThat(checkers.probeCounts("plain")).isEmpty();
        }
        assertThat(plain.isUp(0)).isTrue();
    }

    @Test
    void theConfiguredSecondsDriveTheProbes() {
        HealthCheckConfig check = check(1, 1, 1, 1, null);
        try (UdpBackend a = UdpBackend.open("127.0.0.2", ECHO)) {
            Upstream kcp = kcp("kcp", Optional.of(check), primary(a.address()));
            try (HealthCheckers checkers = HealthCheckers.start(List.of(kcp))) {
                ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();
                Poll.until(Duration.ofSeconds(3), "first probe answered", () -> probes.successes(0) > 0);

                a.stop();
                Poll.until(Duration.ofSeconds(1 + 1 + 1), "stopped peer down", () -> !kcp.isUp(0));
                assertThat(conversations(kcp)).containsOnly(Selector.NO_PEER);
            }
        }
    }

    @Test
    void aStoppedIpv6BackendGoesDown() {
        Assumptions.assumeTrue(ipv6Loopback(), "no IPv6 loopback");
        HealthCheckConfig check = check(2, 1, 1, 1, null);
        try (UdpBackend v6 = UdpBackend.open("::1", ECHO)) {
            Upstream kcp = kcp("kcp", Optional.of(check), primary(v6.address()));
            try (HealthCheckers checkers = HealthCheckers.start(List.of(kcp), SECOND)) {
                ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();
                Poll.until(upWithin(check), "first probe answered", () -> probes.successes(0) > 0);

                v6.stop();
                Poll.until(downWithin(check), "stopped IPv6 peer down", () -> !kcp.isUp(0));
            }
        }
    }

    private static boolean ipv6Loopback() {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            return socket.getLocalPort() > 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
