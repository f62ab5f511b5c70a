package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two listeners under a steady load the machine carries: nothing is lost and both loops work.
 * This checks correctness under load, not speed (that is for the benchmarks).
 */
@ExtendWith(NettyLeakCheck.class)
class SteadyLoadTest {

    private static final int CLIENTS = 100;
    private static final int DATAGRAMS = 50_000;
    private static final int PER_SECOND = 10_000;

    @Test
    void fiftyThousandDatagramsFromAHundredClientsAllComeBackThroughBothLoops() throws Exception {
        List<DatagramChannel> clients = new ArrayList<>();
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = Daemon.start(new TestConfig().parallel(2).defaultUpstream("echo")
                        .upstream(rr("echo", peer(b2.address()), peer(b3.address()))).build());
                Selector selector = Selector.open()) {
            for (int i = 0; i < CLIENTS; i++) {
                DatagramChannel client = DatagramChannel.open();
                client.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                client.bind(new InetSocketAddress("127.0.0.1", 0));
                client.configureBlocking(false);
                client.register(selector, SelectionKey.OP_READ);
                clients.add(client);
            }
            AtomicLong replies = new AtomicLong();
            Thread receiver = new Thread(() -> receive(selector, replies), "load-receiver");
            receiver.setDaemon(true);
            receiver.start();

            InetSocketAddress target = daemon.listenAddress();
            ByteBuffer payload = ByteBuffer.allocate(64);
            long start = System.nanoTime();
            for (int i = 0; i < DATAGRAMS; i++) {
                if (i % 100 == 0) {
                    long due = start + TimeUnit.SECONDS.toNanos(1) * i / PER_SECOND;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                payload.clear();
                payload.putInt(i).position(64).flip();
                if (clients.get(i % CLIENTS).send(payload, target) == 0) {
                    throw new IOException("client socket buffer full at datagram " + i);
                }
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
            receiver.interrupt();

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
        } finally {
            for (DatagramChannel client : clients) {
                client.close();
            }
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

    private static void receive(Selector selector, AtomicLong replies) {
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        try {
            while (!Thread.currentThread().isInterrupted() && selector.isOpen()) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    DatagramChannel channel = (DatagramChannel) key.channel();
                    buffer.clear();
                    while (channel.receive(buffer) != null) {
                        replies.incrementAndGet();
                        buffer.clear();
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException e) {
            // the test is over
        }
    }
}
