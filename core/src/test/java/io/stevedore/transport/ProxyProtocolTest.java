package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.proxied;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.stevedore.control.ControlPlane;
import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.testing.HandPeer;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PROXY protocol v2 over UDP through the real data plane: the header Stevedore writes for an
 * upstream with {@code ProxyProtocol}, the header it reads and strips from a trusted front tier
 * ({@code Server.ProxyProtocolFrom}), and two balancers in a row that keep the client's address.
 */
@ExtendWith(NettyLeakCheck.class)
class ProxyProtocolTest {

    /** What a backend received: the header's client and destination, and the payload after it. */
    private record Received(InetSocketAddress client, InetSocketAddress destination, String payload,
            InetSocketAddress from) {
    }

    private static Received read(HandPeer backend) throws IOException {
        DatagramPacket packet = backend.receive();
        byte[] datagram = HandPeer.payload(packet);
        ProxyHeader.Parsed header = new ProxyHeader.Parsed();
        assertThat(ProxyHeader.parse(Unpooled.wrappedBuffer(datagram), header)).as("a valid PROXY header").isTrue();
        assertThat(header.local()).as("a PROXY command, not LOCAL").isFalse();
        String payload = new String(datagram, header.length(), datagram.length - header.length(), StandardCharsets.US_ASCII);
        return new Received(header.client(), header.destination(), payload, (InetSocketAddress) packet.getSocketAddress());
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] withHeader(byte[] header, String payload) {
        byte[] body = ascii(payload);
        byte[] datagram = Arrays.copyOf(header, header.length + body.length);
        System.arraycopy(body, 0, datagram, header.length, body.length);
        return datagram;
    }

    private static String text(DatagramPacket packet) {
        return new String(HandPeer.payload(packet), StandardCharsets.US_ASCII);
    }

    @Test
    void eachDatagramToTheUpstreamNamesItsClientAndRepliesPassUnchanged() throws Exception {
        try (HandPeer backend = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("127.0.0.1", 0).defaultUpstream("dns")
                        .upstream(proxied(rr("dns", peer(backend.address())))).build());
                HandPeer client = new HandPeer("127.0.0.50")) {
            for (String payload : List.of("first", "second")) {
                client.send(ascii(payload), daemon.listenAddress());
                Received got = read(backend);
                assertThat(got.client()).isEqualTo(client.address());
                assertThat(got.destination()).isEqualTo(daemon.listenAddress());
                assertThat(got.payload()).isEqualTo(payload);

                backend.send(ascii("re:" + payload), got.from());
                assertThat(text(client.receive())).isEqualTo("re:" + payload);
            }
        }
    }

    @Test
    void aDatagramTheHeaderWouldPushOverTheLargestUdpPayloadIsDroppedNotTruncated() throws Exception {
        try (HandPeer backend = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("127.0.0.1", 0).bufSize(65535).defaultUpstream("a")
                        .upstream(proxied(rr("a", peer(backend.address())))).build());
                HandPeer client = new HandPeer("127.0.0.50")) {
            client.send(new byte[SocketErrors.maxPayload(backend.address())], daemon.listenAddress());
            Poll.equal("oversize drops", 1, () -> daemon.counters().dropped("oversize"));

            // The largest payload that still fits with its 28-byte IPv4 header goes through whole.
            int fits = SocketErrors.maxPayload(backend.address()) - 28;
            client.send(new byte[fits], daemon.listenAddress());
            DatagramPacket arrived = backend.receive();
            assertThat(arrived.getLength()).isEqualTo(SocketErrors.maxPayload(backend.address()));
            assertThat(daemon.counters().dropped("oversize")).isEqualTo(1);
        }
    }

    @Test
    void aTrustedFrontTiersHeaderIsTheClientAndRoutesReadThePayloadAfterIt() throws Exception {
        Queue<SessionLog.ClosedSession> accessLog = new ConcurrentLinkedQueue<>();
        InetSocketAddress client = new InetSocketAddress("127.0.0.60", 40_000);
        try (HandPeer a = new HandPeer("127.0.0.2");
                HandPeer b = new HandPeer("127.0.0.3");
                HandPeer front = new HandPeer("127.0.0.8");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("127.0.0.1", 0).proxyProtocolFrom("127.0.0.8/32")
                        .routeEquals(0, 1, ascii("A"), "a").routeEquals(0, 1, ascii("B"), "b").defaultUpstream("deny")
                        .upstream(proxied(rr("a", peer(a.address())))).upstream(rr("b", peer(b.address()))).build(),
                        Transport.best(), accessLog::add);
                HandPeer stranger = new HandPeer("127.0.0.9")) {
            InetSocketAddress sentTo = new InetSocketAddress("127.0.0.61", 53);
            front.send(withHeader(ProxyHeader.proxy(client, sentTo), "A-query"), daemon.listenAddress());
            Received got = read(a);
            assertThat(got.client()).as("the client behind the front tier").isEqualTo(client);
            assertThat(got.destination()).as("the address that client sent to").isEqualTo(sentTo);
            assertThat(got.payload()).isEqualTo("A-query");
            a.send(ascii("A-answer"), got.from());
            assertThat(text(front.receive())).as("the reply goes to the front tier that sent the datagram")
                    .isEqualTo("A-answer");
            assertThat(daemon.sessions(SessionQuery.all(10)).get()).extracting(LiveSession::client).containsExactly(client);

            // Upstream b has no ProxyProtocol: the stripped payload, as the client wrote it.
            front.send(withHeader(ProxyHeader.proxy(client, sentTo), "B-query"), daemon.listenAddress());
            assertThat(text(b.receive())).isEqualTo("B-query");

            // LOCAL: the front tier speaks for itself, and is the client.
            front.send(withHeader(ProxyHeader.local(), "A-probe"), daemon.listenAddress());
            Received local = read(a);
            assertThat(local.client()).isEqualTo(front.address());
            assertThat(local.payload()).isEqualTo("A-probe");

            // No header, a header and nothing after it: dropped, counted.
            front.send(ascii("A-bare"), daemon.listenAddress());
            front.send(ProxyHeader.proxy(client, sentTo), daemon.listenAddress());
            Poll.equal("proxy_header drops", 2, () -> daemon.counters().dropped("proxy_header"));

            // A source outside ProxyProtocolFrom is a client itself, header or not.
            stranger.send(ascii("A-direct"), daemon.listenAddress());
            Received direct = read(a);
            assertThat(direct.client()).isEqualTo(stranger.address());
            assertThat(direct.payload()).isEqualTo("A-direct");
            assertThat(daemon.counters().dropped("proxy_header")).isEqualTo(2);

            // Closed at shutdown: the access log names the front tier's client as the client.
            daemon.close();
            assertThat(accessLog).extracting(closed -> closed.session().client())
                    .containsExactlyInAnyOrder(client, front.address(), stranger.address());
        }
    }

    @Test
    void twoBalancersInARowKeepTheClientsAddress() throws Exception {
        try (HandPeer server = new HandPeer("127.0.0.2");
                Daemon back = ControlPlane.startDataPlane(new TestConfig().listen("127.0.0.1", 0).proxyProtocolFrom("127.0.0.0/8")
                        .defaultUpstream("servers").upstream(proxied(rr("servers", peer(server.address())))).build());
                Daemon front = ControlPlane.startDataPlane(new TestConfig().listen("127.0.0.1", 0).defaultUpstream("tier2")
                        .upstream(proxied(rr("tier2", peer(back.listenAddress())))).build());
                HandPeer client = new HandPeer("127.0.0.51")) {
            for (int i = 0; i < 3; i++) {
                client.send(ascii("hello " + i), front.listenAddress());
                Received got = read(server);
                assertThat(got.client()).isEqualTo(client.address());
                assertThat(got.destination()).as("the address the client sent to, at the front")
                        .isEqualTo(front.listenAddress());
                assertThat(got.payload()).isEqualTo("hello " + i);
                server.send(ascii("answer " + i), got.from());
                assertThat(text(client.receive())).isEqualTo("answer " + i);
            }
            assertThat(back.sessions(SessionQuery.all(10)).get()).extracting(LiveSession::client)
                    .containsExactly(client.address());
        }
    }
}
