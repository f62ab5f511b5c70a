package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two listeners under a steady load the machine carries, at most {@link #IN_FLIGHT} datagrams
 * unanswered: nothing is lost and both loops work.
 * This checks correctness under load, not speed (that is for the benchmarks).
 */
@ExtendWith(NettyLeakCheck.class)
class SteadyLoadTest {

    private static final int CLIENTS = 100;
    private static final int DATAGRAMS = 50_000;
    private static final int PER_SECOND = 10_000;
    /**
     * At most this many datagrams without their reply: on a machine busy with other work the daemon
     * may fall behind the rate, and then the stream waits rather than overflow a socket buffer on
     * the way (a loss in the kernel, not the daemon's, which this test is not about).
     */
    private static final int IN_FLIGHT = 500;

    @Test
    void fiftyThousandDatagramsFromAHundredClientsAllComeBackThroughBothLoops() throws Exception {
        AtomicLong replies = new AtomicLong();
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).defaultUpstream("echo")
                        .upstream(rr("echo", peer(b2.address()), peer(b3.address()))).build());
                SteadyStream stream = new SteadyStream(CLIENTS, PER_SECOND, 100, reply -> replies.incrementAndGet())) {
            InetSocketAddress target = daemon.listenAddress();
            ByteBuffer payload = ByteBuffer.allocate(64);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int i = 0; i < DATAGRAMS; i++) {
                while (i - replies.get() >= IN_FLIGHT && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(50_000);
                }
                payload.clear();
                payload.putInt(i).position(64).flip();
                stream.send(i, payload, target);
            }
            try {
                Poll.until(Duration.ofSeconds(15), "all " + DATAGRAMS + " replies", () -> replies.get() >= DATAGRAMS);
            } catch (AssertionError e) {
                var c = daemon.counters();
                throw new AssertionError(e.getMessage() + ": replies " + replies.get()
                        + ", daemon received " + c.total(LoopCounter.RECEIVED_DATAGRAMS)
                        + ", forwarded " + c.upstream("echo", PeerCounter.FORWARDED_DATAGRAMS)
                        + ", backends received " + (b2.received() + b3.received())
                        + ", relayed " + c.upstream("echo", PeerCounter.REPLIED_DATAGRAMS)
                        + "; kernel " + udpErrors(), e);
            }
            stream.stopReceiving();

            assertThat(replies.get()).isEqualTo(DATAGRAMS);
            assertThat(b2.received() + b3.received()).isEqualTo(DATAGRAMS);
            var counters = daemon.counters();
            assertThat(counters.upstream("echo", PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(DATAGRAMS);
            assertThat(counters.upstream("echo", PeerCounter.REPLIED_DATAGRAMS)).isEqualTo(DATAGRAMS);
            for (DropReason reason : DropReason.values()) {
                assertThat(counters.dropped(reason)).as(reason.label()).isZero();
            }
            assertThat(counters.loop(0, LoopCounter.RECEIVED_DATAGRAMS)).as("loop 0").isPositive();
            assertThat(counters.loop(1, LoopCounter.RECEIVED_DATAGRAMS)).as("loop 1").isPositive();
            assertThat(counters.total(LoopCounter.RECEIVED_DATAGRAMS)).isEqualTo(DATAGRAMS);
            assertThat(daemon.sessionCount()).isEqualTo(CLIENTS);
        }
    }

    /** The kernel's UDP error counters, to tell a socket buffer overflow from a loss in the daemon. */
    private static String udpErrors() {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/snmp"));
            List<String> udp = lines.stream().filter(l -> l.startsWith("Udp:")).toList();
            return udp.size() == 2 ? udp.get(0) + " / " + udp.get(1) : "(no /proc/net/snmp)";
        } catch (IOException e) {
            return "(no /proc/net/snmp)";
        }
    }
}
