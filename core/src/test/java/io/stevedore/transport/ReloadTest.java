package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.checked;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.peerIndex;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.transport.TestConfig.sessionAffinity;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link ControlPlane#replan}: the configuration changes under live sessions, and nothing is lost. */
@ExtendWith(NettyLeakCheck.class)
class ReloadTest {

    private static final byte[] KIND_TWO = {2};

    private static final int CLIENTS = 20;
    private static final int DATAGRAMS = 6000;
    private static final int PER_SECOND = 3000;
    private static final int RELOAD_AT = DATAGRAMS / 2;
    private static final HealthCheckConfig CHECK =
            new HealthCheckConfig(5, 3, 1, 1, "heartbeat".getBytes(), Optional.empty());

    @Test
    void aSteadyStreamLosesNothingWhileAReloadAddsAPeerAndChangesARoute() throws Exception {
        AtomicIntegerArray answeredBy = new AtomicIntegerArray(DATAGRAMS);
        AtomicInteger duplicates = new AtomicInteger();
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3);
                EchoBackend b4 = EchoBackend.start("127.0.0.4", 4);
                EchoBackend b5 = EchoBackend.start("127.0.0.5", 5);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).defaultUpstream("pool")
                        .routeEquals(0, 1, KIND_TWO, "other")
                        .upstream(rr("pool", peer(b2.address()), peer(b3.address())))
                        .upstream(rr("other", peer(b5.address()))).build());
                SteadyStream stream = new SteadyStream(CLIENTS, PER_SECOND, 50,
                        reply -> answered(reply, answeredBy, duplicates))) {
            StevedoreConfig next = new TestConfig().parallel(2).defaultUpstream("pool")
                    .routeEquals(0, 1, KIND_TWO, "pool")
                    .upstream(rr("pool", peer(b2.address()), peer(b3.address()), peer(b4.address())))
                    .upstream(rr("other", peer(b5.address()))).build();
            InetSocketAddress target = daemon.listenAddress();
            ByteBuffer payload = ByteBuffer.allocate(64);
            CompletableFuture<List<String>> reload = null;
            int firstAfterReload = -1;
            for (int i = 0; i < DATAGRAMS; i++) {
                if (i == RELOAD_AT) {
                    reload = CompletableFuture.supplyAsync(() -> {
                        try {
                            return ControlPlane.replan(daemon, next).needRestart();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                }
                if (firstAfterReload < 0 && reload != null && reload.isDone()) {
                    firstAfterReload = i;
                }
                payload.clear();
                payload.put(kind(i)).position(4);
                payload.putInt(i).position(64).flip();
                stream.send(i, payload, target);
            }
            assertThat(reload.get(5, TimeUnit.SECONDS)).as("settings needing a restart").isEmpty();
            assertThat(firstAfterReload).as("the reload finished while the stream ran").isPositive();
            Poll.until(Duration.ofSeconds(15), "every datagram answered", () -> answered(answeredBy) == DATAGRAMS);
            stream.stopReceiving();

            assertThat(duplicates.get()).isZero();
            int toB4 = 0;
            int poolAfter = 0;
            for (int i = firstAfterReload; i < DATAGRAMS; i++) {
                int backend = answeredBy.get(i);
                assertThat(backend).as("datagram %d, sent after the reload", i).isIn(2, 3, 4);
                poolAfter++;
                toB4 += backend == 4 ? 1 : 0;
            }
            assertThat(toB4).as("the added peer's share of %d datagrams", poolAfter)
                    .isBetween(poolAfter / 5, poolAfter / 2);
            assertThat(b5.received()).as("the old route was followed before the reload").isPositive();
            assertThat(b2.received() + b3.received() + b4.received() + b5.received()).isEqualTo(DATAGRAMS);
            var counters = daemon.counters();
            for (DropReason reason : DropReason.values()) {
                assertThat(counters.dropped(reason)).as(reason.label()).isZero();
            }
            assertThat(counters.total(LoopCounter.SESSIONS_OPENED)).as("sessions opened").isEqualTo(CLIENTS);
            assertThat(daemon.sessionCount()).isEqualTo(CLIENTS);
            assertThat(counters.upstream("pool", PeerCounter.FORWARDED_DATAGRAMS) + counters.upstream("other",
                    PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(DATAGRAMS);
            assertThat(counters.peer("pool", b4.address(), PeerCounter.REPLIED_DATAGRAMS)).isEqualTo(b4.received());
        }
    }

    private static byte kind(int i) {
        return (byte) (i % 4 == 0 ? 2 : 1);
    }

    private static int answered(AtomicIntegerArray answeredBy) {
        int count = 0;
        for (int i = 0; i < answeredBy.length(); i++) {
            count += answeredBy.get(i) != 0 ? 1 : 0;
        }
        return count;
    }

    /** Records which backend answered the datagram the reply echoes; a second answer is a duplicate. */
    private static void answered(ByteBuffer reply, AtomicIntegerArray answeredBy, AtomicInteger duplicates) {
        // The echo: backend id, then the datagram (kind, padding, sequence number at 4).
        int backend = reply.get(0);
        int sequence = reply.getInt(1 + 4);
        if (!answeredBy.compareAndSet(sequence, 0, backend)) {
            duplicates.incrementAndGet();
        }
    }

    @Test
    void aKeptPeerStaysKeptAndASessionWhosePeerWasRemovedChoosesAgain() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3);
                EchoBackend b4 = EchoBackend.start("127.0.0.4", 4);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(sessionAffinity(rr("pool", peer(b2.address()), peer(b3.address())))).build());
                Client first = new Client(daemon.listenAddress());
                Client second = new Client(daemon.listenAddress())) {
            assertThat(first.request(new byte[] {1}).backend()).isEqualTo(2);
            assertThat(second.request(new byte[] {1}).backend()).isEqualTo(3);

            // 127.0.0.2 is removed; 127.0.0.4 is added in front, so 127.0.0.3 changes position.
            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("pool")
                    .upstream(sessionAffinity(rr("pool", peer(b4.address()), peer(b3.address())))).build());
            long b2Before = b2.received();

            for (int i = 0; i < 5; i++) {
                assertThat(second.request(new byte[] {(byte) i}).backend()).as("kept peer").isEqualTo(3);
            }
            int chosen = first.request(new byte[] {9}).backend();
            assertThat(chosen).as("a peer of the new configuration").isIn(3, 4);
            for (int i = 0; i < 5; i++) {
                assertThat(first.request(new byte[] {(byte) i}).backend()).as("newly kept peer").isEqualTo(chosen);
            }
            assertThat(b2.received()).as("the removed peer gets nothing new").isEqualTo(b2Before);
            assertThat(daemon.counters().total(LoopCounter.SESSIONS_OPENED)).isEqualTo(2);
        }
    }

    @Test
    void healthAndCountersFollowThePeerByUpstreamAndAddress() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3);
                EchoBackend b4 = EchoBackend.start("127.0.0.4", 4);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("checked")
                        .upstream(checked(rr("checked", peer(b2.address()), peer(b3.address())), CHECK))
                        .upstream(rr("unchecked", peer(b2.address()), peer(b3.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            for (int i = 0; i < 4; i++) {
                client.request(new byte[] {(byte) i});
            }
            assertThat(daemon.counters().peer("checked", 1, PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(2);
            Upstream checked = daemon.upstreams().get(0);
            Upstream unchecked = daemon.upstreams().get(1);
            checked.setPeerUp(peerIndex(checked, b2), false, "test");
            unchecked.setPeerUp(peerIndex(unchecked, b2), false, "test");

            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("checked")
                    .upstream(checked(rr("checked", peer(b4.address()), peer(b3.address()), peer(b2.address())), CHECK))
                    .upstream(rr("unchecked", peer(b3.address()), peer(b2.address()))).build());

            checked = daemon.upstreams().get(0);
            unchecked = daemon.upstreams().get(1);
            assertThat(checked.isUp(peerIndex(checked, b2))).as("down in a checked upstream stays down").isFalse();
            assertThat(checked.isUp(peerIndex(checked, b3))).isTrue();
            assertThat(checked.isUp(peerIndex(checked, b4))).as("a new peer starts up").isTrue();
            assertThat(unchecked.isUp(peerIndex(unchecked, b2))).as("nothing would revive it: it starts up").isTrue();

            assertThat(daemon.counters().peer("checked", b3.address(), PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(2);
            assertThat(daemon.counters().peer("checked", 1, PeerCounter.FORWARDED_DATAGRAMS))
                    .as("by position in the new layout, 127.0.0.3 is second").isEqualTo(2);
            for (int i = 0; i < 4; i++) {
                assertThat(client.request(new byte[] {(byte) i}).backend()).isIn(3, 4);
            }
            assertThat(daemon.counters().peer("checked", b3.address(), PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(4);
            assertThat(daemon.counters().peer("checked", b2.address(), PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(2);
        }
    }

    @Test
    void listeningSettingsNeedARestartWhileMaxTryTimesAndTheSessionSectionApply() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool").maxSessions(10)
                        .upstream(rr("pool", peer(b2.address()))).build());
                Client client = new Client(daemon.listenAddress());
                Client late = new Client(daemon.listenAddress())) {
            client.request(new byte[] {1});
            StevedoreConfig next = new TestConfig().listen("127.0.0.1", 1).parallel(2).bufSize(100).maxTryTimes(1)
                    .maxSessions(1).timeouts(1, 1).defaultUpstream("pool").upstream(rr("pool", peer(b2.address())))
                    .build();

            List<String> needRestart = ControlPlane.replan(daemon, next).needRestart();

            assertThat(needRestart).containsExactly(
                    "Server.ListenAddr changed from 127.0.0.1:0 to 127.0.0.1:1: the listening sockets keep 127.0.0.1:0 "
                            + "until a restart",
                    "Server.ListenParallel changed from 1 to 2: the listening sockets keep 1 until a restart",
                    "Server.BufSize changed from 4096 to 100: the listening sockets keep 4096 until a restart");
            assertThat(daemon.config().server().bufSize()).isEqualTo(4096);
            assertThat(daemon.config().server().maxTryTimes()).isEqualTo(1);
            assertThat(daemon.maxSessions()).isEqualTo(1);
            assertThat(client.request(new byte[] {2}).backend()).isEqualTo(2);
            late.send(new byte[] {3});
            Poll.equal("session_limit drops", 1, () -> daemon.counters().dropped("session_limit"));
            // TimeoutSec 1 and RecycleIntervalSec 1 now, where they were 30 and 10.
            Poll.equal("live sessions after a second idle", 0, daemon::sessionCount);
        }
    }

    @Test
    void addingIpv6PeersReopensTheIpv4SessionsOnTheirNextDatagram() throws Exception {
        try (EchoBackend v4 = EchoBackend.start("127.0.0.2", 4);
                EchoBackend v6 = EchoBackend.start("::1", 6);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(v4.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            assertThat(client.request(new byte[] {1}).backend()).isEqualTo(4);

            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("pool")
                    .upstream(rr("pool", peer(v4.address()), peer(v6.address()))).build());

            assertThat(daemon.sessionCount()).isZero();
            assertThat(client.request(new byte[] {2}).backend()).isIn(4, 6);
            assertThat(client.request(new byte[] {3}).backend()).isIn(4, 6);
            assertThat(v6.received()).isEqualTo(1);
            assertThat(daemon.counters().total(LoopCounter.SESSIONS_OPENED)).isEqualTo(2);
            assertThat(daemon.counters().dropped(DropReason.SEND_ERROR)).isZero();
        }
    }

    @Test
    void aLatchSurvivesAReloadThatKeepsItsPeerLatchedAndIsForgottenWhenLatchIsTurnedOff() throws Exception {
        try (EchoBackend tftp = EchoBackend.start("127.0.0.2", 7).answerFromNewPort();
                EchoBackend other = EchoBackend.start("127.0.0.3", 8);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("tftp")
                        .upstream(TestConfig.sessionLatched(rr("tftp", peer(tftp.address())))).build());
                Client client = new Client(daemon.listenAddress())) {
            assertThat(client.request(new byte[] {'R'}).backend()).isEqualTo(7);
            assertThat(client.request(new byte[] {'A', 1}).backend()).isEqualTo(7);
            assertThat(tftp.receivedOnMainPort()).isEqualTo(1);

            // A peer added in front: the kept peer and its latch stay.
            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("tftp")
                    .upstream(TestConfig.sessionLatched(rr("tftp", peer(other.address()), peer(tftp.address())))).build());
            assertThat(client.request(new byte[] {'A', 2}).backend()).isEqualTo(7);
            assertThat(tftp.receivedOnMainPort()).as("still the port the peer answered from").isEqualTo(1);

            UpstreamConfig unlatched = sessionAffinity(rr("tftp", peer(other.address()), peer(tftp.address())));
            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("tftp").upstream(unlatched).build());
            assertThat(client.request(new byte[] {'A', 3}).backend()).isEqualTo(7);
            assertThat(tftp.receivedOnMainPort()).as("without Latch, the configured port").isEqualTo(2);
            assertThat(other.received()).isZero();
        }
    }
}
