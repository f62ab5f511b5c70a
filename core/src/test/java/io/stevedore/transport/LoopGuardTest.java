package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.testing.HandPeer.payload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.HandPeer;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.testing.Spoof;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client datagram from Stevedore's own sockets or from a peer is dropped as {@code loop}: relayed,
 * its reply would come back in as another client datagram, without end. Each case then sends a
 * marker from a real client: the peer's first datagram must be that marker, so nothing of the
 * forged one went through before it (one loop, one order).
 */
@ExtendWith(NettyLeakCheck.class)
class LoopGuardTest {

    private static final byte[] FORGED = "forged".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MARKER = "marker".getBytes(StandardCharsets.US_ASCII);

    /** A real client's marker reaches the peer first, and its answer comes back: forwarding goes on. */
    private static InetSocketAddress markerGoesThrough(Daemon daemon, HandPeer peer) throws IOException {
        try (Client client = new Client(daemon.listenAddress())) {
            client.send(MARKER);
            DatagramPacket first = peer.receive();
            assertThat(payload(first)).as("the peer's first datagram").isEqualTo(MARKER);
            InetSocketAddress sessionSocket = (InetSocketAddress) first.getSocketAddress();
            peer.send(new byte[] {7, 'o', 'k'}, sessionSocket);
            assertThat(client.awaitReply().payload()).isEqualTo("ok".getBytes(StandardCharsets.US_ASCII));
            return sessionSocket;
        }
    }

    @Test
    void aDatagramFromAPeerIsDroppedAsLoop() throws Exception {
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build())) {
            peer.send(FORGED, daemon.listenAddress());
            Poll.equal("loop drops", 1, () -> daemon.counters().dropped("loop"));
            markerGoesThrough(daemon, peer);
            assertThat(daemon.counters().total(LoopCounter.SESSIONS_OPENED)).as("sessions opened").isEqualTo(1);
        }
    }

    /**
     * The kernel keeps IPv4 and IPv6 ports apart: an IPv6 client on {@code ::1} may hold the port
     * number of an IPv4 session socket bound to {@code 0.0.0.0}, and is a client like any other.
     */
    @Test
    void anIpv6ClientOnTheSamePortNumberAsAnIpv4SessionSocketIsAClient() throws Exception {
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build())) {
            int sessionPort = markerGoesThrough(daemon, peer).getPort();
            try (DatagramSocket twin = new DatagramSocket(new InetSocketAddress("::1", sessionPort))) {
                byte[] hello = "twin".getBytes(StandardCharsets.US_ASCII);
                twin.send(new DatagramPacket(hello, hello.length, daemon.listenAddress()));
                assertThat(payload(peer.receive())).as("the IPv6 client's datagram, relayed").isEqualTo(hello);
            }
            assertThat(daemon.counters().dropped("loop")).isZero();
        }
    }

    /** Another port of a peer's IP is a client like any other (a peer host may run clients too). */
    @Test
    void anotherPortOfAPeersAddressIsAClient() throws Exception {
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build());
                Client client = new Client(daemon.listenAddress(), "127.0.0.2")) {
            client.send(MARKER);
            assertThat(payload(peer.receive())).isEqualTo(MARKER);
            assertThat(daemon.counters().dropped("loop")).isZero();
        }
    }

    /** Forged to come from the listening socket itself: without the guard, it would circle for ever. */
    @ParameterizedTest(name = "ListenAddr {0}")
    @ValueSource(strings = {"127.0.0.1", "0.0.0.0"})
    void aDatagramForgedFromTheListenerIsDroppedAsLoop(String listenIp) throws Exception {
        assumeTrue(Spoof.possible(), "forging a source address takes a raw socket: root only");
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen(listenIp, 0).defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build())) {
            int port = daemon.listenAddress().getPort();
            InetSocketAddress listener = new InetSocketAddress("127.0.0.1", port);
            Spoof.send(listener, listener, FORGED);
            int expected = 1;
            if (listenIp.equals("0.0.0.0")) {
                // A wildcard listener answers from every local address: any of them on its port is ours.
                Spoof.send(new InetSocketAddress("127.0.0.9", port), listener, FORGED);
                expected = 2;
            }
            Poll.equal("loop drops", expected, () -> daemon.counters().dropped("loop"));
            markerGoesThrough(daemon, peer);
            assertThat(daemon.counters().total(LoopCounter.RECEIVED_DATAGRAMS)).isEqualTo(expected + 1);
        }
    }

    /** Forged to come from a session socket: its "reply" would reach that session's socket as a peer's. */
    @Test
    void aDatagramForgedFromASessionSocketIsDroppedAsLoop() throws Exception {
        assumeTrue(Spoof.possible(), "forging a source address takes a raw socket: root only");
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build())) {
            InetSocketAddress sessionSocket = markerGoesThrough(daemon, peer);
            Spoof.send(sessionSocket, daemon.listenAddress(), FORGED);
            // The socket is bound to the wildcard: every local address on its port is it.
            Spoof.send(new InetSocketAddress("127.0.0.9", sessionSocket.getPort()), daemon.listenAddress(), FORGED);
            Poll.equal("loop drops", 2, () -> daemon.counters().dropped("loop"));
            markerGoesThrough(daemon, peer);
        }
    }

    /** Bound to a source address, a session socket is that address alone: its port elsewhere is a client's. */
    @Test
    void aSessionSocketBoundToASourceAddressIsThatAddressOnly() throws Exception {
        assumeTrue(Spoof.possible(), "forging a source address takes a raw socket: root only");
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().sourceAddrs("127.0.3.1").defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build())) {
            InetSocketAddress sessionSocket = markerGoesThrough(daemon, peer);
            assertThat(sessionSocket.getAddress().getHostAddress()).isEqualTo("127.0.3.1");
            Spoof.send(sessionSocket, daemon.listenAddress(), FORGED);
            Poll.equal("loop drops", 1, () -> daemon.counters().dropped("loop"));
            Spoof.send(new InetSocketAddress("127.0.3.2", sessionSocket.getPort()), daemon.listenAddress(), FORGED);
            assertThat(payload(peer.receive())).as("a client on another address, same port").isEqualTo(FORGED);
            assertThat(daemon.counters().dropped("loop")).isEqualTo(1);
        }
    }

    /** A closed session's socket port is no longer ours: a client may have it now. */
    @Test
    void aClosedSessionsPortIsForgotten() throws Exception {
        assumeTrue(Spoof.possible(), "forging a source address takes a raw socket: root only");
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().timeouts(1, 1).defaultUpstream("pool")
                        .upstream(rr("pool", peer(peer.address()))).build())) {
            InetSocketAddress sessionSocket = markerGoesThrough(daemon, peer);
            Poll.equal("sessions", 0, daemon::sessionCount);
            Spoof.send(sessionSocket, daemon.listenAddress(), FORGED);
            assertThat(payload(peer.receive())).isEqualTo(FORGED);
            assertThat(daemon.counters().dropped("loop")).isZero();
        }
    }
}
