package io.stevedore.transport;

import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.SLACK;
import static io.stevedore.testing.HealthTiming.downWithin;
import static io.stevedore.testing.HealthTiming.upWithin;
import static io.stevedore.transport.TestConfig.backup;
import static io.stevedore.transport.TestConfig.chash;
import static io.stevedore.transport.TestConfig.checked;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.health.HealthCheckers;
import io.stevedore.health.PeerStates;
import io.stevedore.health.ProbeCounts;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failover as a client sees it: the real daemon with real health checkers in front of echo
 * backends on 127.0.0.2-.5, backends stopped and restarted while the same client sockets keep
 * talking. Which backend serves a conversation is read from the replies that come back through
 * the daemon. Health checks run on {@link io.stevedore.testing.HealthTiming}'s short seconds, and
 * every wait is bounded by a deadline derived from the interval and timeout.
 */
@ExtendWith(NettyLeakCheck.class)
class FailoverEndToEndTest {

    private static final HealthCheckConfig CHECK =
            new HealthCheckConfig(2, 1, 2, 1, "heartbeat".getBytes(US_ASCII), Optional.empty());
    private static final int CLIENTS = 8;
    private static final int CONVERSATIONS_PER_CLIENT = 25;
    private static final int CONVERSATIONS = CLIENTS * CONVERSATIONS_PER_CLIENT;
    private static final int ROUND_MS = 300;
    private static final long POLL_MS = 10;
    /** No reply came back for a conversation in a round. */
    private static final int NONE = 0;
    /** The loopback broadcast address: a send there fails at once with EACCES. */
    private static final InetSocketAddress UNSENDABLE = new InetSocketAddress("127.255.255.255", 9);

    /** A KCP segment of conversation {@code conv}; {@code sn} tells a round's replies from late ones. */
    private static byte[] segment(int conv, int sn) {
        return ByteBuffer.allocate(24).putInt(conv).put((byte) 81).put((byte) 0).putShort((short) 128)
                .putInt(0).putInt(sn).putInt(0).putInt(0).array();
    }

    private static int conv(int index) {
        return 0x1000 + index;
    }

    /**
     * {@link #CONVERSATIONS} KCP conversations over {@link #CLIENTS} client sockets, each socket
     * carrying several conversations. A round sends one segment per conversation and reads which
     * backend answered each.
     */
    private static final class Conversations implements AutoCloseable {

        private final List<Client> clients = new ArrayList<>();
        private int round;

        Conversations(InetSocketAddress daemon) throws IOException {
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(new Client(daemon));
            }
        }

        /** The backend id that answered each conversation this round, {@link #NONE} if none did. */
        int[] round() throws IOException {
            int sn = ++round;
            int[] answeredBy = new int[CONVERSATIONS];
            for (int c = 0; c < CLIENTS; c++) {
                for (int j = 0; j < CONVERSATIONS_PER_CLIENT; j++) {
                    clients.get(c).send(segment(conv(c * CONVERSATIONS_PER_CLIENT + j), sn));
                }
            }
            long deadline = System.nanoTime() + ROUND_MS * 1_000_000L;
            for (int c = 0; c < CLIENTS; c++) {
                int answered = 0;
                while (answered < CONVERSATIONS_PER_CLIENT) {
                    int left = (int) ((deadline - System.nanoTime()) / 1_000_000);
                    // Past the deadline, still take what is already queued.
                    Client.Reply reply = clients.get(c).receive(Math.max(1, left));
                    if (reply == null) {
                        break;
                    }
                    ByteBuffer echoed = ByteBuffer.wrap(reply.payload());
                    int index = echoed.getInt(0) - conv(0);
                    if (echoed.getInt(12) == sn && index / CONVERSATIONS_PER_CLIENT == c) {
                        answeredBy[index] = reply.backend();
                        answered++;
                    }
                }
            }
            return answeredBy;
        }

        /** Runs rounds until one satisfies {@code done}, and returns it. */
        int[] await(String what, Duration within, Predicate<int[]> done) throws IOException {
            long deadline = System.nanoTime() + within.toNanos();
            int[] last;
            do {
                last = round();
                if (done.test(last)) {
                    return last;
                }
            } while (System.nanoTime() - deadline < 0);
            fail("not within " + within.toMillis() + " ms: " + what + "; last round: " + summary(last));
            return last;
        }

        @Override
        public void close() {
            clients.forEach(Client::close);
        }
    }

    private static Predicate<int[]> allAnsweredBy(int... backends) {
        return m -> Arrays.stream(m).allMatch(b -> Arrays.stream(backends).anyMatch(x -> x == b));
    }

    private static String summary(int[] answeredBy) {
        StringBuilder out = new StringBuilder();
        IntStream.of(answeredBy).boxed().collect(java.util.stream.Collectors.groupingBy(b -> b,
                java.util.TreeMap::new, java.util.stream.Collectors.counting()))
                .forEach((b, n) -> out.append(b == NONE ? "no reply" : "backend " + b).append(": ").append(n).append("; "));
        return out.toString();
    }

    /**
     * The backend id each conversation goes to when only the peers marked up in {@code up} are up,
     * from an upstream of the same config: the Maglev table is a pure function of the peer set, so
     * this is what the daemon must do.
     */
    private static int[] predicted(Upstream running, boolean[] up, int[] backendIdOfPeer) {
        Upstream twin = Upstream.of(running.config());
        for (int p = 0; p < up.length; p++) {
            twin.setPeerUp(p, up[p], "prediction");
        }
        Selector selector = twin.newSelector();
        ByteBuf datagram = Unpooled.wrappedBuffer(segment(0, 0));
        int[] backends = new int[CONVERSATIONS];
        for (int i = 0; i < CONVERSATIONS; i++) {
            datagram.setInt(0, conv(i));
            int peer = selector.select(datagram);
            backends[i] = peer < 0 ? NONE : backendIdOfPeer[peer];
        }
        return backends;
    }

    private static void assertSameSessionsThroughout(Daemon daemon) {
        assertThat(daemon.sessionCount()).as("live sessions").isEqualTo(CLIENTS);
        assertThat(daemon.counters().total(LoopCounter.SESSIONS_OPENED))
                .as("sessions ever opened: each client kept its first one").isEqualTo(CLIENTS);
    }

    /** Primaries 127.0.0.2-4 and the backup 127.0.0.5 of one health-checked chash upstream on two loops. */
    @Nested
    class ThreePrimariesAndABackup {

        private EchoBackend a;
        private EchoBackend b;
        private EchoBackend c;
        private EchoBackend spare;
        private Daemon daemon;
        private HealthCheckers checkers;
        private Conversations conversations;

        @BeforeEach
        void start() throws Exception {
            a = EchoBackend.start("127.0.0.2", 2);
            b = EchoBackend.start("127.0.0.3", 3);
            c = EchoBackend.start("127.0.0.4", 4);
            spare = EchoBackend.start("127.0.0.5", 5);
            daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).defaultUpstream("kcp")
                    .upstream(checked(chash("kcp", 0, 4, peer(a.address()), peer(b.address()),
                            peer(c.address()), backup(spare.address())), CHECK)).build());
            checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
            conversations = new Conversations(daemon.listenAddress());
        }

        /** In the reverse order of {@link #start()}, whatever of it was reached. */
        @AfterEach
        void stop() throws Exception {
            for (AutoCloseable started : new AutoCloseable[] {conversations, checkers, daemon, spare, c, b, a}) {
                if (started != null) {
                    started.close();
                }
            }
        }

        @Test
        void aDeadBackendsConversationsMoveToTheOtherPrimariesAndReturnWhileTheRestStayPut() throws Exception {
            Upstream kcp = daemon.upstreams().get(0);
            int[] ids = {2, 3, 4, 5};
            ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();
            int[] before = conversations.await("every conversation answered", upWithin(CHECK), allAnsweredBy(2, 3, 4));
            assertThat(before).isEqualTo(predicted(kcp, new boolean[] {true, true, true, true}, ids));
            assertThat(before).contains(2, 3, 4);
            long onB = Arrays.stream(before).filter(id -> id == 3).count();

            b.stop();
            int[] without = conversations.await("conversations of the stopped 127.0.0.3 answered by the others",
                    downWithin(CHECK), allAnsweredBy(2, 4));
            assertThat(kcp.isUp(1)).isFalse();
            assertThat(probes.failures(1)).as("failed probes of 127.0.0.3").isPositive();
            assertThat(without).as("what the Maglev table without 127.0.0.3 says")
                    .isEqualTo(predicted(kcp, new boolean[] {true, false, true, true}, ids));
            long othersMoved = IntStream.range(0, CONVERSATIONS).filter(i -> before[i] != 3 && without[i] != before[i]).count();
            assertThat(othersMoved).as("conversations of the live peers that moved (Maglev: under 1%%)")
                    .isLessThanOrEqualTo((CONVERSATIONS - onB) / 100);
            assertThat(daemon.counters().peer("kcp", 3, PeerCounter.FORWARDED_DATAGRAMS)).as("datagrams to the backup").isZero();

            long successesWhileDown = probes.successes(1);
            b.restart();
            int[] back = conversations.await("every conversation back where it was", upWithin(CHECK),
                    m -> Arrays.equals(m, before));
            assertThat(back).isEqualTo(before);
            assertThat(probes.successes(1) - successesWhileDown).as("probes it took").isGreaterThanOrEqualTo(CHECK.successTimes());
            assertSameSessionsThroughout(daemon);
        }

        @Test
        void theBackupAnswersEverythingWhileEveryPrimaryIsDownAndNothingOnceOneIsBack() throws Exception {
            int[] before = conversations.await("every conversation answered", upWithin(CHECK), allAnsweredBy(2, 3, 4));
            assertThat(daemon.counters().peer("kcp", 3, PeerCounter.FORWARDED_DATAGRAMS)).isZero();

            a.stop();
            b.stop();
            c.stop();
            conversations.await("the backup answers every conversation", downWithin(CHECK), allAnsweredBy(5));

            a.restart();
            conversations.await("127.0.0.2 answers every conversation", upWithin(CHECK), allAnsweredBy(2));
            long atBackup = daemon.counters().peer("kcp", 3, PeerCounter.FORWARDED_DATAGRAMS);
            assertThat(conversations.round()).as("with one primary back").containsOnly(2);
            assertThat(daemon.counters().peer("kcp", 3, PeerCounter.FORWARDED_DATAGRAMS))
                    .as("datagrams sent to the backup once a primary is back").isEqualTo(atBackup);

            b.restart();
            c.restart();
            conversations.await("every conversation back where it was", upWithin(CHECK), m -> Arrays.equals(m, before));
            assertThat(daemon.upstreams().get(0).isUp(3)).as("the backup stayed healthy throughout").isTrue();
            assertThat(checkers.probeCounts("kcp").orElseThrow().failures(3)).isZero();
            assertSameSessionsThroughout(daemon);
        }
    }

    @Test
    void aPeerTheDataPlaneTookDownComesBackThroughTheChecker() throws Exception {
        // Three probes half a (shortened) second apart: long enough to see the peer out first.
        HealthCheckConfig slow = new HealthCheckConfig(5, 1, 3, 1, "heartbeat".getBytes(US_ASCII), Optional.empty());
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("kcp")
                        .upstream(checked(chash("kcp", 0, 4, peer(a.address()), peer(b.address())), slow)).build());
                HealthCheckers checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
                Conversations conversations = new Conversations(daemon.listenAddress())) {
            int[] before = conversations.await("every conversation answered", upWithin(slow), allAnsweredBy(2, 3));
            ProbeCounts probes = checkers.probeCounts("kcp").orElseThrow();

            // The same call the data plane makes when a send to the peer fails.
            daemon.upstreams().get(0).setPeerUp(1, false, "send error: test");
            long successes = probes.successes(1);
            assertThat(conversations.round()).as("at once, before any probe").containsOnly(2);

            conversations.await("127.0.0.3 back after its probes", upWithin(slow), m -> Arrays.equals(m, before));
            assertThat(probes.successes(1) - successes).isGreaterThanOrEqualTo(slow.successTimes());
        }
    }

    /**
     * A send error takes the peer down at once. With a HealthChecker only the checker may bring it
     * back, so it stays down past the data plane's own retry delay; without one, the data plane
     * tries it again after {@link PeerStates#PASSIVE_DOWN_SEC}. Both daemons run side by side.
     */
    @Test
    void aSendErrorTakesThePeerDownAtOnceAndWithAHealthCheckerNoTimerBringsItBack() throws Exception {
        try (EchoBackend good = EchoBackend.start("127.0.0.2", 2);
                Daemon withChecker = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(checked(rr("pool", peer(UNSENDABLE), peer(good.address())), CHECK)).build());
                Daemon withoutChecker = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(UNSENDABLE), peer(good.address()))).build());
                Client checkedClient = new Client(withChecker.listenAddress());
                Client plainClient = new Client(withoutChecker.listenAddress())) {
            for (Client client : List.of(checkedClient, plainClient)) {
                for (int i = 0; i < 4; i++) {
                    assertThat(client.request(new byte[] {(byte) i}).backend()).isEqualTo(2);
                }
            }
            for (Daemon daemon : List.of(withChecker, withoutChecker)) {
                assertThat(daemon.upstreams().get(0).isUp(0)).as("down after its first send error").isFalse();
                assertThat(daemon.counters().peer("pool", 0, PeerCounter.SEND_ERRORS)).isEqualTo(1);
            }

            // Probes start after the send error, so the error alone took the peer down.
            try (HealthCheckers checkers = HealthCheckers.start(withChecker.upstreams(), SECOND, withChecker.peerStates())) {
                long until = System.nanoTime() + Duration.ofSeconds(PeerStates.PASSIVE_DOWN_SEC).plus(SLACK).toNanos();
                while (withoutChecker.counters().peer("pool", 0, PeerCounter.SEND_ERRORS) < 2) {
                    if (System.nanoTime() - until > 0) {
                        fail("without a HealthChecker the peer was not tried again within "
                                + PeerStates.PASSIVE_DOWN_SEC + " s + " + SLACK.toMillis() + " ms");
                    }
                    assertThat(plainClient.request(new byte[] {1}).backend()).isEqualTo(2);
                    assertThat(checkedClient.request(new byte[] {2}).backend()).isEqualTo(2);
                    assertThat(withChecker.upstreams().get(0).isUp(0)).as("checked peer still down").isFalse();
                    Thread.sleep(POLL_MS);
                }
                // The unchecked peer's retry is due; the checked one must still be down, and untried.
                long pastRetry = System.nanoTime() + SLACK.toNanos();
                while (System.nanoTime() - pastRetry < 0) {
                    assertThat(checkedClient.request(new byte[] {3}).backend()).isEqualTo(2);
                    Thread.sleep(POLL_MS);
                }
                assertThat(withChecker.upstreams().get(0).isUp(0)).isFalse();
                assertThat(withChecker.counters().peer("pool", 0, PeerCounter.SEND_ERRORS))
                        .as("sends to the checked peer: none since it went down").isEqualTo(1);
                assertThat(checkers.probeCounts("pool").orElseThrow().failures(0))
                        .as("the checker's probes of it fail, so it stays down").isPositive();
                assertThat(checkers.probeCounts("pool").orElseThrow().successes(1)).isPositive();
            }
        }
    }
}
