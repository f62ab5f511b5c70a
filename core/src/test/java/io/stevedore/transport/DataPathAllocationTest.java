package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.proxied;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ResourceLeakDetector;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.session.Session;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stevedore's own part of the data path allocates nothing per datagram once warm: a client's
 * datagrams to a peer (with and without a PROXY header) and the peer's replies, handed to the
 * loop's {@link Worker} in read batches of one session and sent in segmented runs over real loopback
 * sockets, counted by the loop thread's allocation counter. What Netty's receive makes per datagram
 * (the packet and the sender's address) is left out by handing the worker packets made once; what
 * is left is per run (the run's packet, the address Netty copies per send), about a byte per
 * datagram. Before the promises were reused each datagram cost its promise, about 58 bytes, and
 * before {@link CopyBuffers} a PROXY header's copy cost 67.
 */
class DataPathAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** One read batch: one session's datagrams, one segmented run. */
    private static final int BATCH = Segments.MAX_SEGMENTS;
    private static final int BATCHES = 500;
    /** Bytes per datagram above which a round counts as allocating per datagram. */
    private static final long BOUND_PER_DATAGRAM = 8;
    private static final Duration WARM_UP = Duration.ofSeconds(60);

    private ResourceLeakDetector.Level leakLevel;

    @BeforeEach
    void leakDetectionOff() {
        // Paranoid leak detection (the tests' setting) records every access to a pooled buffer with
        // its stack; the launcher runs without it.
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterEach
    void leakDetectionBack() {
        ResourceLeakDetector.setLevel(leakLevel);
    }

    /** With {@code proxied}, every datagram is copied behind its session's PROXY v2 header first. */
    @ParameterizedTest(name = "ProxyProtocol {0}")
    @ValueSource(booleans = {false, true})
    void forwardingAndReplyingAllocateNothingPerDatagram(boolean proxied) throws Exception {
        // Neither socket is read: the kernel drops what overflows them, and no ICMP comes back.
        try (DatagramSocket backend = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(proxied ? proxied(rr("echo", peer(local(backend)))) : rr("echo", peer(local(backend))))
                        .build())) {
            Worker worker = daemon.worker(0);
            Listener listener = worker.listeners().get(0);
            ByteBuf payload = Unpooled.wrappedBuffer(new byte[64]);
            DatagramPacket request = new DatagramPacket(payload, daemon.listenAddress(), local(client));
            worker.loop.submit(() -> forward(worker, listener, request)).get(5, TimeUnit.SECONDS);
            Session session = worker.loop.submit(() -> worker.sessions().get(local(client))).get(5, TimeUnit.SECONDS);
            DatagramPacket reply = new DatagramPacket(payload, (InetSocketAddress) session.channel().localAddress(),
                    local(backend));

            long datagrams = (long) BATCH * BATCHES;
            long bound = BOUND_PER_DATAGRAM * datagrams;
            long forwarding = quietest(worker, () -> forward(worker, listener, request), bound);
            long replying = quietest(worker, () -> reply(worker, listener, session, reply), bound);
            payload.release();

            assertThat(daemon.counters().peer("echo", 0, PeerCounter.FORWARDED_DATAGRAMS) % datagrams)
                    .as("every datagram of every round went to the peer").isZero();
            assertThat(forwarding).as("bytes allocated forwarding %d datagrams", datagrams).isLessThan(bound);
            assertThat(replying).as("bytes allocated replying %d datagrams", datagrams).isLessThan(bound);
        }
    }

    /**
     * The fewest bytes the loop allocated in a round of {@code round}, rounds repeated until one
     * allocates less than {@code bound} or {@link #WARM_UP} has passed: until the JIT has compiled
     * the path (escape analysis included), which takes seconds on a loaded machine, and now and then
     * later (a deoptimisation), the JVM allocates on the thread where the compiled code would not.
     */
    private static long quietest(Worker worker, Runnable round, long bound) throws Exception {
        long quietest = Long.MAX_VALUE;
        long deadline = System.nanoTime() + WARM_UP.toNanos();
        while (quietest >= bound && System.nanoTime() < deadline) {
            long allocated = worker.loop.submit(() -> {
                long start = THREADS.getCurrentThreadAllocatedBytes();
                round.run();
                return THREADS.getCurrentThreadAllocatedBytes() - start;
            }).get(30, TimeUnit.SECONDS);
            quietest = Math.min(quietest, allocated);
        }
        return quietest;
    }

    private static void forward(Worker worker, Listener listener, DatagramPacket request) {
        for (int b = 0; b < BATCHES; b++) {
            for (int i = 0; i < BATCH; i++) {
                request.retain();
                worker.fromClient(listener, request);
            }
            worker.flushSessions();
            worker.endBatch();
        }
    }

    private static void reply(Worker worker, Listener listener, Session session, DatagramPacket reply) {
        for (int b = 0; b < BATCHES; b++) {
            for (int i = 0; i < BATCH; i++) {
                reply.retain();
                worker.fromPeer(session, reply);
            }
            worker.endReplies();
            worker.endBatch();
            listener.channel.flush();
        }
    }

    private static InetSocketAddress local(DatagramSocket socket) {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }
}
