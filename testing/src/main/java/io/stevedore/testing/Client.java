package io.stevedore.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/** A UDP client of the daemon, on its own socket (its own session). */
public final class Client implements AutoCloseable {

    public static final int TIMEOUT_MS = 3000;

    /** A reply: the id of the backend that answered and the payload it echoed. */
    public record Reply(int backend, byte[] payload, InetSocketAddress from) {
    }

    private final DatagramSocket socket;
    private final InetSocketAddress daemon;

    public Client(InetSocketAddress daemon) throws IOException {
        this(daemon, daemon.getAddress() instanceof java.net.Inet6Address ? "::1" : "127.0.0.1");
    }

    public Client(InetSocketAddress daemon, String ip) throws IOException {
        this.daemon = daemon;
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
        socket.setSoTimeout(TIMEOUT_MS);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public void send(byte[] payload) throws IOException {
        socket.send(new DatagramPacket(payload, payload.length, daemon));
    }

    /** The next datagram, or null if none arrives within {@code timeoutMs}. */
    public Reply receive(int timeoutMs) throws IOException {
        byte[] buffer = new byte[65536];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.setSoTimeout(timeoutMs);
        try {
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return new Reply(buffer[0], Arrays.copyOfRange(buffer, 1, packet.getLength()),
                (InetSocketAddress) packet.getSocketAddress());
    }

    public Reply awaitReply() throws IOException {
        Reply reply = receive(TIMEOUT_MS);
        if (reply == null) {
            fail("no reply to " + localAddress() + " within " + TIMEOUT_MS + " ms");
        }
        return reply;
    }

    /** Sends and waits for the answer, checking it echoes what was sent. */
    public Reply request(byte[] payload) throws IOException {
        send(payload);
        Reply reply = awaitReply();
        if (!Arrays.equals(reply.payload(), payload)) {
            fail("reply to " + localAddress() + " echoes " + Arrays.toString(reply.payload())
                    + ", expected " + Arrays.toString(payload));
        }
        return reply;
    }

    @Override
    public void close() {
        socket.close();
    }
}
