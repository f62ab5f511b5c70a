package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.chash;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class DropTest {

    /**
     * The loopback broadcast address: sending there without SO_BROADCAST fails at once (EACCES),
     * a send error that stays inside 127.0.0.0/8.
     */
    private static final InetSocketAddress UNSENDABLE = new InetSocketAddress("127.255.255.255", 9);

    private static byte[] bytes(int length, int fill) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void oversizeDatagramsAreCountedNotForwardedAndForwardingGoesOn() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().bufSize(100).defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            client.send(bytes(101, 1));
            client.send(bytes(5000, 2));
            Poll.equal("oversize drops", 2, () -> daemon.counters().dropped("oversize"));
            // The kernel cuts a datagram to the read slot, BufSize + 1 bytes, and Netty does not
            // report its real size: 101 and 5000 bytes both count as 101 (what the metric's help says).
            assertThat(daemon.counters().total(LoopCounter.RECEIVED_BYTES)).isEqualTo(2 * 101);
            // The backend's answer is one byte longer than the request.
            assertThat(client.request(bytes(99, 3)).payload()).hasSize(99);
            assertThat(backend.received()).isEqualTo(1);
            assertThat(daemon.counters().upstream("echo", PeerCounter.FORWARDED_BYTES)).isEqualTo(99);

            // BufSize bounds replies too: a 101-byte answer is dropped, not relayed cut.
            client.send(bytes(100, 4));
            Poll.equal("oversize drops", 3, () -> daemon.counters().dropped("oversize"));
            assertThat(backend.received()).isEqualTo(2);
            assertThat(client.request(bytes(1, 5)).backend()).isEqualTo(2);
        }
    }

    @Test
    void emptyDatagramsAreCountedAndForwardingGoesOn() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            client.send(new byte[0]);
            Poll.equal("empty drops", 1, () -> daemon.counters().dropped("empty"));
            assertThat(client.request(bytes(1, 1)).backend()).isEqualTo(2);
            assertThat(backend.received()).isEqualTo(1);
        }
    }

    @Test
    void datagramsShorterThanTheHashKeyAreCountedAndOpenNoSession() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("kcp")
                        .upstream(chash("kcp", 0, 4, peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            client.send(bytes(3, 1));
            Poll.equal("short_key drops", 1, () -> daemon.counters().dropped("short_key"));
            assertThat(daemon.sessionCount()).isZero();
            assertThat(client.request(bytes(4, 1)).backend()).isEqualTo(2);
            assertThat(daemon.sessionCount()).isEqualTo(1);
        }
    }

    @Test
    void withEveryPeerDownDatagramsAreDroppedAsNoPeer() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            daemon.upstreams().get(0).setPeerUp(0, false, "test");
            client.send(bytes(10, 1));
            Poll.equal("no_peer drops", 1, () -> daemon.counters().dropped("no_peer"));
            daemon.upstreams().get(0).setPeerUp(0, true, "test");
            assertThat(client.request(bytes(10, 2)).backend()).isEqualTo(2);
        }
    }

    @Test
    void aSendErrorMarksThePeerDownAndTheDatagramGoesToTheNextPeer() throws Exception {
        try (EchoBackend good = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(UNSENDABLE), peer(good.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            for (int i = 0; i < 4; i++) {
                assertThat(client.request(bytes(10, i)).backend()).isEqualTo(2);
            }
            assertThat(daemon.upstreams().get(0).isUp(0)).as("the failing peer is down").isFalse();
            assertThat(daemon.counters().peer("echo", 0, PeerCounter.SEND_ERRORS)).isEqualTo(1);
            assertThat(daemon.counters().peer("echo", 0, PeerCounter.FORWARDED_DATAGRAMS)).isZero();
            assertThat(daemon.counters().peer("echo", 1, PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(4);
            assertThat(daemon.counters().dropped("send_error")).isZero();
        }
    }

    @Test
    void whenEveryTryFailsTheDatagramIsDroppedAsSendError() throws Exception {
        try (EchoBackend good = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().maxTryTimes(1).defaultUpstream("echo")
                        .upstream(rr("echo", peer(UNSENDABLE), peer(good.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            client.send(bytes(10, 1));
            Poll.equal("send_error drops", 1, () -> daemon.counters().dropped("send_error"));
            // The drop is counted on the event loop; the peer is marked down on PeerStates' thread.
            Poll.until("the failing peer marked down", () -> !daemon.upstreams().get(0).isUp(0));
            assertThat(client.request(bytes(10, 2)).backend()).isEqualTo(2);
        }
    }
}
