package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import io.stevedore.proxyprotocol.ProxyHeader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EchoServerTest {

    private static final int RECEIVE_TIMEOUT_MILLIS = 5000;

    private static byte[] roundTrip(DatagramSocket client, InetSocketAddress to, byte[] request) throws IOException {
        client.send(new DatagramPacket(request, request.length, to));
        byte[] reply = new byte[2048];
        DatagramPacket packet = new DatagramPacket(reply, reply.length);
        client.receive(packet);
        return Arrays.copyOf(reply, packet.getLength());
    }

    @Test
    void eachListenerAnswersTheSenderWithItsIdInBytes4To8() throws IOException {
        try (EchoServer echo = EchoServer.start(List.of(
                        new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0), "b1"),
                        new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.3"), 0), "east")),
                1, EchoServer.DEFAULT_MAX_DATAGRAM);
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(Loopback.address("127.0.0.1"), 0))) {
            client.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
            byte[] request = ByteBuffer.allocate(100).putInt(42).putInt(0).putLong(123_456_789L).array();
            request[99] = 7;

            byte[] first = roundTrip(client, echo.listeners().get(0).address(), request);
            byte[] second = roundTrip(client, echo.listeners().get(1).address(), request);

            assertThat(first).hasSize(100);
            assertThat(ByteBuffer.wrap(first).getInt(Wire.CONV_OFFSET)).isEqualTo(42);
            assertThat(Wire.name(ByteBuffer.wrap(first).getInt(Wire.BACKEND_OFFSET))).isEqualTo("b1");
            assertThat(ByteBuffer.wrap(first).getLong(Wire.STAMP_OFFSET)).isEqualTo(123_456_789L);
            assertThat(first[99]).isEqualTo((byte) 7);
            assertThat(Wire.name(ByteBuffer.wrap(second).getInt(Wire.BACKEND_OFFSET))).isEqualTo("east");
            // The counter is published after the reply leaves: poll it to a deadline.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (echo.echoed() < 2 && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            assertThat(echo.echoed()).isEqualTo(2);
        }
    }

    @Test
    void aDatagramTooShortForTheTagComesBackUnchanged() throws IOException {
        try (EchoServer echo = EchoServer.start(List.of(
                        new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0), "b1")),
                1, EchoServer.DEFAULT_MAX_DATAGRAM);
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(Loopback.address("127.0.0.1"), 0))) {
            client.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
            byte[] request = "ping!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

            assertThat(roundTrip(client, echo.listeners().get(0).address(), request)).isEqualTo(request);
        }
    }

    @Test
    void aDatagramBehindAProxyHeaderIsAnsweredWithoutIt() throws IOException {
        try (EchoServer echo = EchoServer.start(List.of(
                        new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0), "b1")),
                1, EchoServer.DEFAULT_MAX_DATAGRAM);
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(Loopback.address("127.0.0.1"), 0))) {
            client.setSoTimeout(RECEIVE_TIMEOUT_MILLIS);
            byte[] header = ProxyHeader.proxy(new InetSocketAddress(Loopback.address("127.0.0.9"), 4000),
                    new InetSocketAddress(Loopback.address("127.0.0.1"), 2614));
            byte[] request = ByteBuffer.allocate(header.length + 16).put(header).putInt(42).putInt(0).putLong(7).array();

            byte[] reply = roundTrip(client, echo.listeners().get(0).address(), request);

            assertThat(reply).hasSize(16);
            assertThat(ByteBuffer.wrap(reply).getInt(Wire.CONV_OFFSET)).isEqualTo(42);
            assertThat(Wire.name(ByteBuffer.wrap(reply).getInt(Wire.BACKEND_OFFSET))).isEqualTo("b1");
        }
    }

    @Test
    void listenersAreLoopbackOnlyAndIdsAreShortAscii() {
        assertThatThrownBy(() -> new EchoServer.Listener(new InetSocketAddress("0.0.0.0", 7001), "b1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a loopback address");
        assertThatThrownBy(() -> new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0),
                "backend"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 4 printable ASCII");
    }
}
