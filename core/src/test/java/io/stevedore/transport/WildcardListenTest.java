package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A wildcard ListenAddr replies from the address each client wrote to. The daemon binds every
 * address of the host, but these tests send only to loopback addresses: 127.0.0.1 and [::1] are
 * bound at start; 127.0.0.5 and the like are not interface addresses (the loopback network is all
 * local) and get their socket when a client first writes to them. A client socket connected to the
 * daemon drops any reply from another source, so its receiving a reply is the proof.
 */
@ExtendWith(NettyLeakCheck.class)
class WildcardListenTest {

    private static final int TIMEOUT_MS = 3000;

    private static StevedoreConfig config(String wildcard, int parallel, EchoBackend backend) {
        return new TestConfig().listen(wildcard, 0).parallel(parallel).defaultUpstream("echo")
                .upstream(rr("echo", peer(backend.address()))).build();
    }

    private static InetSocketAddress at(String ip, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    /** A client socket connected to {@code daemon}: the kernel drops datagrams from any other source. */
    private static DatagramSocket connectedTo(InetSocketAddress daemon) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(daemon.getAddress().getAddress().length == 4
                ? InetAddress.getByName("127.0.0.1") : InetAddress.getByName("::1"), 0));
        socket.connect(daemon);
        socket.setSoTimeout(TIMEOUT_MS);
        return socket;
    }

    private static void send(DatagramSocket socket, String text, InetSocketAddress to) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        socket.send(new DatagramPacket(payload, payload.length, to));
    }

    /** The echo of {@code text} (after the backend's id byte) and where it came from; fails on a timeout. */
    private static InetSocketAddress expectEcho(DatagramSocket socket, String text) throws IOException {
        byte[] buffer = new byte[2048];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply to " + socket.getLocalSocketAddress() + " for \"" + text
                    + "\" within " + TIMEOUT_MS + " ms", e);
        }
        assertThat(new String(Arrays.copyOfRange(buffer, 1, packet.getLength()), StandardCharsets.US_ASCII))
                .isEqualTo(text);
        return (InetSocketAddress) packet.getSocketAddress();
    }

    @Test
    void clientsConnectedToTwoLoopbackAddressesOfAnIpv4WildcardGetTheirReplies() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(config("0.0.0.0", 2, backend))) {
            int port = daemon.listenAddress().getPort();
            assertThat(daemon.listenAddress().getAddress().isAnyLocalAddress()).isTrue();
            assertThat(daemon.listenAddresses()).contains(at("127.0.0.1", port))
                    .noneMatch(a -> a.getAddress() instanceof java.net.Inet6Address);
            for (int loop = 0; loop < daemon.loops(); loop++) {
                assertThat(daemon.listenAddresses(loop)).startsWith(daemon.listenAddress())
                        .contains(at("127.0.0.1", port));
            }
            try (DatagramSocket five = connectedTo(at("127.0.0.5", port));
                    DatagramSocket seven = connectedTo(at("127.0.0.7", port));
                    DatagramSocket one = connectedTo(at("127.0.0.1", port))) {
                for (int i = 0; i < 5; i++) {
                    send(five, "five " + i, at("127.0.0.5", port));
                    send(seven, "seven " + i, at("127.0.0.7", port));
                    send(one, "one " + i, at("127.0.0.1", port));
                    assertThat(expectEcho(five, "five " + i)).isEqualTo(at("127.0.0.5", port));
                    assertThat(expectEcho(seven, "seven " + i)).isEqualTo(at("127.0.0.7", port));
                    assertThat(expectEcho(one, "one " + i)).isEqualTo(at("127.0.0.1", port));
                }
            }
            assertThat(daemon.listenAddresses()).contains(at("127.0.0.5", port), at("127.0.0.7", port));
            assertThat(daemon.isListening()).isTrue();
        }
    }

    @Test
    void anIpv6WildcardAnswersIpv6AndIpv4Clients() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(config("::", 2, backend))) {
            int port = daemon.listenAddress().getPort();
            assertThat(daemon.listenAddresses()).contains(at("::1", port), at("127.0.0.1", port));
            try (DatagramSocket v6 = connectedTo(at("::1", port));
                    DatagramSocket six = connectedTo(at("127.0.0.6", port))) {
                for (int i = 0; i < 5; i++) {
                    send(v6, "v6 " + i, at("::1", port));
                    send(six, "six " + i, at("127.0.0.6", port));
                    assertThat(expectEcho(v6, "v6 " + i)).isEqualTo(at("::1", port));
                    assertThat(expectEcho(six, "six " + i)).isEqualTo(at("127.0.0.6", port));
                }
            }
        }
    }

    @Test
    void aClientThatWritesToAnotherAddressKeepsItsSessionAndGetsRepliesFromThere() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(config("0.0.0.0", 1, backend));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(TIMEOUT_MS);
            int port = daemon.listenAddress().getPort();
            String[] addresses = {"127.0.0.5", "127.0.0.8", "127.0.0.1", "127.0.0.5"};
            for (int i = 0; i < addresses.length; i++) {
                send(client, "hop " + i, at(addresses[i], port));
                assertThat(expectEcho(client, "hop " + i)).isEqualTo(at(addresses[i], port));
            }
            assertThat(daemon.sessionCount()).as("one client port, one session").isEqualTo(1);
            assertThat(backend.senders()).hasSize(1);
        }
    }

    @Test
    void pastTheCapLateAddressesAreServedByTheWildcardSocket() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(config("0.0.0.0", 1, backend));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(TIMEOUT_MS);
            int port = daemon.listenAddress().getPort();
            int bound = daemon.listenAddresses().size();
            List<InetSocketAddress> late = new ArrayList<>();
            for (int i = 0; i <= Listeners.MAX_LATE_ADDRESSES; i++) {
                late.add(at("127.0.1." + (i + 1), port));
            }
            for (int i = 0; i < late.size(); i++) {
                send(client, "late " + i, late.get(i));
                InetSocketAddress from = expectEcho(client, "late " + i);
                if (i < Listeners.MAX_LATE_ADDRESSES) {
                    assertThat(from).isEqualTo(late.get(i));
                } else {
                    assertThat(from).as("the kernel's choice for a reply to 127.0.0.1")
                            .isEqualTo(at("127.0.0.1", port));
                }
            }
            assertThat(daemon.listenAddresses()).hasSize(bound + Listeners.MAX_LATE_ADDRESSES);
        }
    }

    @Test
    void aReloadKeepsTheBoundAddressesAndTheSessions() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(config("0.0.0.0", 2, backend))) {
            int port = daemon.listenAddress().getPort();
            try (DatagramSocket five = connectedTo(at("127.0.0.5", port))) {
                send(five, "before", at("127.0.0.5", port));
                expectEcho(five, "before");
                List<InetSocketAddress> bound = daemon.listenAddresses();
                assertThat(ControlPlane.replan(daemon, config("0.0.0.0", 2, backend)).needRestart()).isEmpty();
                assertThat(daemon.listenAddresses()).isEqualTo(bound);
                send(five, "after", at("127.0.0.5", port));
                assertThat(expectEcho(five, "after")).isEqualTo(at("127.0.0.5", port));
                Poll.equal("sessions", 1, daemon::sessionCount);
            }
        }
    }

    @Test
    void aSpecificListenAddrBindsThatAddressAlone() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(config("127.0.0.3", 2, backend))) {
            int port = daemon.listenAddress().getPort();
            assertThat(daemon.listenAddresses()).containsExactly(at("127.0.0.3", port));
            try (DatagramSocket client = connectedTo(at("127.0.0.3", port))) {
                send(client, "specific", at("127.0.0.3", port));
                assertThat(expectEcho(client, "specific")).isEqualTo(at("127.0.0.3", port));
            }
        }
    }
}
