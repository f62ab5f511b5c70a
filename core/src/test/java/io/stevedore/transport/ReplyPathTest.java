package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.transport.TestConfig.sessionLatched;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replies come back on the session's unconnected socket: from any port of a peer's IP (a TFTP
 * server answers from a new port), never from anywhere else.
 */
@ExtendWith(NettyLeakCheck.class)
class ReplyPathTest {

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aReplyFromAnotherPortOfThePeerReachesTheClientFromTheListenAddress() throws Exception {
        try (EchoBackend tftp = EchoBackend.start("127.0.0.2", 7).answerFromNewPort();
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("tftp")
                        .upstream(rr("tftp", peer(tftp.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            Client.Reply reply = client.request(text("RRQ file"));
            assertThat(reply.backend()).isEqualTo(7);
            assertThat(reply.from()).isEqualTo(daemon.listenAddress());
            assertThat(tftp.transferSockets()).hasSize(1);
            assertThat(tftp.transferSockets().iterator().next().getLocalPort()).isNotEqualTo(tftp.address().getPort());

            // Without Latch the client's next datagram goes to the configured port again.
            client.request(text("ACK 1"));
            assertThat(tftp.receivedOnMainPort()).isEqualTo(2);
        }
    }

    @Test
    void withSessionAffinityAndLatchTheNextDatagramReachesThePortThePeerAnsweredFrom() throws Exception {
        try (EchoBackend tftp = EchoBackend.start("127.0.0.2", 7).answerFromNewPort();
                EchoBackend other = EchoBackend.start("127.0.0.3", 8);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("tftp")
                        .upstream(sessionLatched(rr("tftp", peer(tftp.address()), peer(other.address()))))
                        .build());
                Client client = new Client(daemon.listenAddress())) {
            assertThat(client.request(text("RRQ file")).backend()).as("round robin starts with the first peer")
                    .isEqualTo(7);
            for (int block = 1; block <= 3; block++) {
                assertThat(client.request(text("ACK " + block)).backend())
                        .as("Affinity session keeps the peer").isEqualTo(7);
            }
            assertThat(tftp.receivedOnMainPort()).as("only the request reached the configured port").isEqualTo(1);
            assertThat(tftp.received()).isEqualTo(4);
            assertThat(tftp.transferSockets()).hasSize(1);
            assertThat(other.received()).isZero();
        }
    }

    @Test
    void aDatagramFromAnAddressThatIsNoPeerIsDroppedAndCounted() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress());
                DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.9"), 0))) {
            client.request(text("hello"));
            InetSocketAddress sessionSocket = backend.senders().iterator().next();
            byte[] forged = text("Xforged");
            stranger.send(new DatagramPacket(forged, forged.length, sessionSocket));
            Poll.equal("foreign_reply drops", 1, () -> daemon.counters().dropped("foreign_reply"));

            // The forged datagram never reaches the client: what it receives next answers its request.
            assertThat(client.request(text("again")).backend()).isEqualTo(2);
        }
    }

    @Test
    void aReplyFromAPeerInTwoUpstreamsIsCreditedToTheUpstreamTheSessionSentThrough() throws Exception {
        try (EchoBackend shared = EchoBackend.start("127.0.0.2", 7);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("first")
                        .routeEquals(0, 1, new byte[] {'B'}, "second")
                        .upstream(rr("first", peer(shared.address())))
                        .upstream(rr("second", peer(shared.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            for (int i = 0; i < 3; i++) {
                assertThat(client.request(text("B" + i)).backend()).isEqualTo(7);
            }
            Poll.equal("replies credited to the second upstream's peer", 3L,
                    () -> daemon.counters().peer("second", 0, PeerCounter.REPLIED_DATAGRAMS));
            assertThat(daemon.counters().peer("first", 0, PeerCounter.REPLIED_DATAGRAMS)).isZero();
            assertThat(daemon.counters().peer("first", 0, PeerCounter.FORWARDED_DATAGRAMS)).isZero();
        }
    }
}
