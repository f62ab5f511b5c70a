package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An event loop hands a peer it suspects to the health side and goes on: while the peer-state
 * thread is held, the loop still runs, the peer is still up, and the datagram that failed waits;
 * once the thread runs, the peer is down and the datagram reaches the other peer.
 */
@ExtendWith(NettyLeakCheck.class)
class SuspectHandOffTest {

    /** A send to the broadcast address without SO_BROADCAST fails at once (EACCES). */
    private static final InetSocketAddress UNSENDABLE = new InetSocketAddress("127.255.255.255", 9);

    @Test
    void theLoopHandsASuspectedPeerToThePeerStateThreadAndNeverWaitsForIt() throws Exception {
        try (EchoBackend good = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(UNSENDABLE), peer(good.address())))
                        .upstream(rr("spare", peer(new InetSocketAddress("127.0.0.9", 9)))).build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream pool = daemon.upstreams().get(0);
            Upstream spare = daemon.upstreams().get(1);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicReference<String> healthThread = new AtomicReference<>();
            // A task run by the peer-state thread itself keeps it busy until released.
            daemon.peerStates().suspect(spare, 0, "holding the peer-state thread", Runnable::run, () -> {
                healthThread.set(Thread.currentThread().getName());
                held.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
            Client.Reply first;
            try {
                // Round robin over two peers: one of the two datagrams goes to each.
                client.send(new byte[] {1});
                client.send(new byte[] {2});
                first = client.awaitReply();
                assertThat(first.backend()).isEqualTo(2);
                Poll.until("the failed send counted",
                        () -> daemon.counters().peer("pool", 0, PeerCounter.SEND_ERRORS) == 1);

                long start = System.nanoTime();
                daemon.worker(0).loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                        .as("the loop runs while the peer-state thread is held").isLessThan(2_000);
                assertThat(pool.isUp(0)).as("the loop did not mark the peer down itself").isTrue();
                assertThat(client.receive(300)).as("the failed datagram waits for the peer's new state").isNull();
            } finally {
                release.countDown();
            }
            Client.Reply resent = client.awaitReply();
            assertThat(resent.backend()).isEqualTo(2);
            assertThat(resent.payload()).as("the other datagram").isNotEqualTo(first.payload());
            assertThat(pool.isUp(0)).as("marked down by the peer-state thread").isFalse();
            assertThat(healthThread.get()).isEqualTo("stevedore-peer-state");
            assertThat(daemon.counters().dropped("send_error")).isZero();
        }
    }
}
