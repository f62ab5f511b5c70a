package io.stevedore.transport;

import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.upWithin;
import static io.stevedore.transport.TestConfig.checked;
import static io.stevedore.transport.TestConfig.chash;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.peerIndex;
import static io.stevedore.transport.TestConfig.rr;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.unix.Errors;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.health.HealthCheckers;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.session.Session;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Passive health on the epoll transport: session sockets hear ICMP port unreachable (RECVERR), so a
 * peer whose port closed goes down without any health checker, when the report can be pinned on
 * it; the queued report is dropped so the event loop does not spin on it. Backends are echo
 * servers on 127.0.0.x and [::1]; a "dead" peer is one whose socket was closed.
 */
@ExtendWith(NettyLeakCheck.class)
class PassiveHealthTest {

    /** A checker too patient to take a peer down within a test: any quick down is passive. */
    private static final HealthCheckConfig PATIENT =
            new HealthCheckConfig(2, 1, 1, 1000, "heartbeat".getBytes(US_ASCII), Optional.empty());
    /** Over this window a loop that is not spinning uses next to no CPU; a spinning one, most of it. */
    private static final long IDLE_WINDOW_MS = 500;
    private static final long IDLE_CPU_LIMIT_MS = 50;

    @Test
    void aChashPeerWhosePortClosedGoesDownWithoutAHealthCheckerAndItsKeysMoveToTheOtherPeer() throws Exception {
        try (EchoBackend live = EchoBackend.start("127.0.0.2", 2);
                EchoBackend dead = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("kcp")
                        .upstream(chash("kcp", 0, 4, peer(live.address()), peer(dead.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream kcp = daemon.upstreams().get(0);
            int deadPeer = peerIndex(kcp, dead);
            byte[] key = keyFor(kcp, deadPeer);
            assertThat(client.request(key).backend()).isEqualTo(3);
            dead.stop();

            client.send(key);
            Poll.until("the peer whose port closed is down", () -> !kcp.isUp(deadPeer));
            assertThat(client.request(key).backend()).as("its keys moved").isEqualTo(2);
            assertThat(daemon.counters().peer("kcp", deadPeer, PeerCounter.SEND_ERRORS)).isEqualTo(1);
            assertThat(kcp.isUp(peerIndex(kcp, live))).isTrue();
            assertThat(ambiguous(daemon.counters())).isZero();
            assertNotSpinning(daemon);
        }
    }

    @Test
    void withAHealthCheckerAPeerDownPassivelyComesBackWhenItsPortOpensAgain() throws Exception {
        try (EchoBackend live = EchoBackend.start("127.0.0.2", 2);
                EchoBackend dead = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("kcp")
                        .upstream(checked(chash("kcp", 0, 4, peer(live.address()), peer(dead.address())), PATIENT))
                        .build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream kcp = daemon.upstreams().get(0);
            int deadPeer = peerIndex(kcp, dead);
            byte[] key = keyFor(kcp, deadPeer);
            // Stopped before the first probe: no probe answered before the stop can bring it back.
            dead.stop();
            try (HealthCheckers checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates())) {
                client.send(key);
                Poll.until("the peer whose port closed is down", () -> !kcp.isUp(deadPeer));
                assertThat(checkers.probeCounts("kcp").orElseThrow().failures(deadPeer))
                        .as("far fewer probe failures than FailedTimes: the send took it down").isLessThan(100);
                assertThat(client.request(key).backend()).isEqualTo(2);

                dead.restart();
                Poll.until(upWithin(PATIENT), "its checker brings it back", () -> kcp.isUp(deadPeer), () -> "");
                assertThat(client.request(key).backend()).isEqualTo(3);
            }
        }
    }

    @Test
    void anRrSessionAlternatingBetweenALiveAndADeadPeerTakesNeitherDown() throws Exception {
        try (EchoBackend live = EchoBackend.start("127.0.0.2", 2);
                EchoBackend dead = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(live.address()), peer(dead.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            dead.stop();
            Upstream pool = daemon.upstreams().get(0);
            Counters counters = daemon.counters();
            // The first datagram goes to the first peer, the live one; from then on the session
            // has sent to two peers whenever a report about the dead one comes back.
            assertThat(client.request(new byte[] {0}).backend()).isEqualTo(2);
            for (int i = 1; i <= 6; i++) {
                long reports = ambiguous(counters);
                byte[] payload = {(byte) i};
                client.send(payload);
                if (i % 2 == 1) {
                    Poll.until("report " + i + " counted as ambiguous", () -> ambiguous(counters) > reports);
                } else {
                    Client.Reply reply = client.awaitReply();
                    assertThat(reply.backend()).isEqualTo(2);
                    assertThat(reply.payload()).isEqualTo(payload);
                }
            }
            assertThat(ambiguous(counters)).isEqualTo(3);
            assertThat(pool.isUp(0)).as("the live peer").isTrue();
            assertThat(pool.isUp(1)).as("the dead peer: left to an active checker").isTrue();
            assertThat(counters.peer("pool", 0, PeerCounter.SEND_ERRORS)).isZero();
            assertThat(counters.peer("pool", 1, PeerCounter.SEND_ERRORS)).isZero();
            assertNotSpinning(daemon);
        }
    }

    /**
     * The report of a datagram to the dead peer surfaces on the session's next send, as
     * ECONNREFUSED: the loop is held while the client sends two datagrams of one key, and reads
     * one per batch, so the second is sent before the loop hears of the first's fate.
     */
    @Test
    void aRefusalSurfacingOnTheNextSendOfAOnePeerSessionTakesThatPeerDownAndTheDatagramMovesOn()
            throws Exception {
        TestConfig config = new TestConfig().defaultUpstream("kcp");
        config.batchSize = 1;
        try (EchoBackend live = EchoBackend.start("127.0.0.2", 2);
                EchoBackend dead = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config
                        .upstream(chash("kcp", 0, 4, peer(live.address()), peer(dead.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream kcp = daemon.upstreams().get(0);
            int deadPeer = peerIndex(kcp, dead);
            byte[] key = keyFor(kcp, deadPeer);
            assertThat(client.request(key).backend()).isEqualTo(3);
            dead.stop();

            byte[] second = Arrays.copyOf(key, 5);
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                client.send(key);
                client.send(second);
            }
            Client.Reply reply = client.awaitReply();
            assertThat(reply.backend()).as("the second datagram went to the other peer").isEqualTo(2);
            assertThat(reply.payload()).isEqualTo(second);
            assertThat(kcp.isUp(deadPeer)).isFalse();
            assertThat(daemon.counters().peer("kcp", deadPeer, PeerCounter.SEND_ERRORS)).isEqualTo(1);
            assertThat(daemon.counters().dropped("send_error")).isZero();
            assertNotSpinning(daemon);
        }
    }

    /**
     * As above, but the session had just sent to the live peer: the refusal surfacing on the send
     * to the live peer is not pinned on it, and that datagram is sent to it again.
     */
    @Test
    void aRefusalSurfacingOnASendToALivePeerAfterADeadOneIsNotPinnedOnItAndTheDatagramIsSentAgain()
            throws Exception {
        TestConfig config = new TestConfig().defaultUpstream("pool");
        config.batchSize = 1;
        try (EchoBackend live = EchoBackend.start("127.0.0.2", 2);
                EchoBackend dead = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config
                        .upstream(rr("pool", peer(live.address()), peer(dead.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            dead.stop();
            Upstream pool = daemon.upstreams().get(0);
            assertThat(client.request(new byte[] {0}).backend()).isEqualTo(2);
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                client.send(new byte[] {1});
                client.send(new byte[] {2});
            }
            Client.Reply reply = client.awaitReply();
            assertThat(reply.backend()).isEqualTo(2);
            assertThat(reply.payload()).isEqualTo(new byte[] {2});
            Counters counters = daemon.counters();
            assertThat(ambiguous(counters)).isEqualTo(1);
            assertThat(pool.isUp(0)).isTrue();
            assertThat(pool.isUp(1)).isTrue();
            assertThat(counters.peer("pool", 0, PeerCounter.SEND_ERRORS)).isZero();
            assertThat(counters.peer("pool", 0, PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(2);
            assertThat(counters.dropped("send_error")).isZero();
            assertNotSpinning(daemon);
        }
    }

    /**
     * With IP_RECVERR, any ICMP report (host unreachable, time exceeded...) fails the socket's next
     * send, whatever its destination. After sending to two peers, such a failure on the send to the
     * second is not pinned on it: counted as ambiguous, and the datagram goes to it again.
     */
    @Test
    void aHostUnreachableReportSurfacingOnASendIsNotPinnedOnThatSendsPeer() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(a.address()), peer(b.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            int first = client.request(new byte[] {0}).backend();
            int second = client.request(new byte[] {1}).backend();
            assertThat(java.util.List.of(first, second)).containsExactlyInAnyOrder(2, 3);
            Worker worker = daemon.worker(0);
            Upstream pool = daemon.upstreams().get(0);
            int peer = peerIndex(pool, second == 2 ? a : b);
            worker.loop.submit(() -> {
                Session session = worker.sessions().get(client.localAddress());
                Forwarding plan = worker.forwarding();
                ByteBuf payload = Unpooled.directBuffer(1).writeByte(7);
                ForwardPromise sent = new ForwardPromise(worker).arm(plan, session, 0, peer, plan.slot(0, peer), 1, 2,
                        payload, false);
                sent.tryFailure(Errors.newIOException("sendmsg", -SocketErrors.EHOSTUNREACH));
            }).get(5, TimeUnit.SECONDS);

            Client.Reply resent = client.awaitReply();
            assertThat(resent.payload()).as("the datagram sent again").isEqualTo(new byte[] {7});
            assertThat(resent.backend()).as("to the same peer").isEqualTo(second);
            assertThat(ambiguous(daemon.counters())).isEqualTo(1);
            assertThat(pool.isUp(0)).isTrue();
            assertThat(pool.isUp(1)).isTrue();
            assertThat(daemon.counters().peer("pool", peer, PeerCounter.SEND_ERRORS)).isZero();

            // Had that retry failed the same way, the report being purged by then, the error is the
            // send's own (no route to the peer): the peer goes down and the datagram moves on.
            worker.loop.submit(() -> {
                Session session = worker.sessions().get(client.localAddress());
                Forwarding plan = worker.forwarding();
                ByteBuf payload = Unpooled.directBuffer(1).writeByte(8);
                ForwardPromise retried = new ForwardPromise(worker).arm(plan, session, 0, peer, plan.slot(0, peer), 1,
                        2, payload, true);
                retried.tryFailure(Errors.newIOException("sendmsg", -SocketErrors.EHOSTUNREACH));
            }).get(5, TimeUnit.SECONDS);
            Client.Reply moved = client.awaitReply();
            assertThat(moved.payload()).isEqualTo(new byte[] {8});
            assertThat(moved.backend()).as("to the other peer").isEqualTo(first);
            assertThat(pool.isUp(peer)).as("the peer with no route is down").isFalse();
            assertThat(daemon.counters().peer("pool", peer, PeerCounter.SEND_ERRORS)).isEqualTo(1);
        }
    }

    /** An IPv6 session socket hears ICMPv6 from IPv6 peers and ICMPv4 from IPv4 peers (mapped addresses). */
    @Test
    void onAnIpv6SessionSocketIpv6AndIpv4PeersGoDownPassively() throws Exception {
        try (EchoBackend live = EchoBackend.start("::1", 6);
                EchoBackend dead6 = EchoBackend.start("::1", 7);
                EchoBackend dead4 = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).defaultUpstream("kcp")
                        .upstream(chash("kcp", 0, 4, peer(live.address()), peer(dead6.address()),
                                peer(dead4.address())))
                        .build());
                Client client6 = new Client(daemon.listenAddress());
                Client client4 = new Client(daemon.listenAddress())) {
            Upstream kcp = daemon.upstreams().get(0);
            int peer6 = peerIndex(kcp, dead6);
            int peer4 = peerIndex(kcp, dead4);
            byte[] key6 = keyFor(kcp, peer6);
            byte[] key4 = keyFor(kcp, peer4);
            assertThat(client6.request(key6).backend()).isEqualTo(7);
            assertThat(client4.request(key4).backend()).isEqualTo(3);
            dead6.stop();
            dead4.stop();

            client6.send(key6);
            client4.send(key4);
            Poll.until("the IPv6 peer is down", () -> !kcp.isUp(peer6));
            Poll.until("the IPv4 peer is down", () -> !kcp.isUp(peer4));
            assertThat(client6.request(key6).backend()).isEqualTo(6);
            assertThat(client4.request(key4).backend()).isEqualTo(6);
            assertThat(ambiguous(daemon.counters())).isZero();
            assertNotSpinning(daemon);
        }
    }

    /**
     * An IPv6 session socket cannot send more than 65,507 bytes to an IPv4 peer (EMSGSIZE): the
     * datagram is dropped as oversize, the peer stays up and no other peer is tried.
     */
    @Test
    void aDatagramTooLargeForThePathIsDroppedAsOversizeAndThePeerStaysUp() throws Exception {
        try (EchoBackend v4 = EchoBackend.start("127.0.0.2", 4);
                EchoBackend v6 = EchoBackend.start("::1", 6);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).bufSize(65535)
                        .defaultUpstream("kcp").upstream(chash("kcp", 0, 4, peer(v4.address()), peer(v6.address())))
                        .build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream kcp = daemon.upstreams().get(0);
            int v4Peer = peerIndex(kcp, v4);
            byte[] key = keyFor(kcp, v4Peer);
            assertThat(client.request(key).backend()).isEqualTo(4);

            client.send(Arrays.copyOf(key, 65508));
            Poll.equal("oversize drops", 1, () -> daemon.counters().dropped("oversize"));
            assertThat(kcp.isUp(v4Peer)).isTrue();
            assertThat(daemon.counters().peer("kcp", v4Peer, PeerCounter.SEND_ERRORS)).isZero();
            assertThat(daemon.counters().dropped("send_error")).isZero();
            // The echo adds a byte, and its answer must fit too.
            assertThat(client.request(Arrays.copyOf(key, 65506)).backend()).isEqualTo(4);
            assertThat(v6.received()).as("not tried on another peer").isZero();
            assertNotSpinning(daemon);
        }
    }

    /** A payload of four key bytes that the upstream's selector sends to {@code peer}. */
    private static byte[] keyFor(Upstream upstream, int peer) {
        Selector selector = upstream.newSelector();
        for (int k = 0; k < 100_000; k++) {
            byte[] key = ByteBuffer.allocate(4).putInt(k).array();
            ByteBuf buf = Unpooled.wrappedBuffer(key);
            int selected = selector.select(buf);
            buf.release();
            if (selected == peer) {
                return key;
            }
        }
        throw new AssertionError("no key of 100000 selects peer " + peer);
    }

    private static long ambiguous(Counters counters) {
        return counters.total(LoopCounter.PASSIVE_AMBIGUOUS);
    }

    /**
     * Fails if the daemon's event loop burns CPU while no traffic flows: a queued ICMP report left
     * on a session socket makes epoll report it on every turn.
     */
    private static void assertNotSpinning(Daemon daemon) throws Exception {
        long thread = daemon.worker(0).loop.submit(() -> Thread.currentThread().getId()).get(5, TimeUnit.SECONDS);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuBefore = threads.getThreadCpuTime(thread);
        long start = System.nanoTime();
        long used = 0;
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(IDLE_WINDOW_MS)) {
            used = TimeUnit.NANOSECONDS.toMillis(threads.getThreadCpuTime(thread) - cpuBefore);
            if (used > IDLE_CPU_LIMIT_MS) {
                break;
            }
            Thread.sleep(10);
        }
        if (used > IDLE_CPU_LIMIT_MS) {
            fail("the idle event loop used " + used + " ms of CPU within " + IDLE_WINDOW_MS + " ms: spinning");
        }
    }
}
