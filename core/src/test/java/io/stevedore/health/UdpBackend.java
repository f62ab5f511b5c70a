package io.stevedore.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * A UDP backend on a loopback address that answers each datagram with {@code answer(payload)}, or
 * not at all when that is null. It can be stopped, so its port answers ICMP port unreachable, and
 * restarted on the same port.
 */
final class UdpBackend implements AutoCloseable {

    static final UnaryOperator<byte[]> ECHO = payload -> payload;
    static final UnaryOperator<byte[]> SILENT = payload -> null;

    private final UnaryOperator<byte[]> answer;
    private InetSocketAddress address;
    private DatagramSocket socket;

    private UdpBackend(UnaryOperator<byte[]> answer) {
        this.answer = answer;
    }

    static UdpBackend open(String ip, UnaryOperator<byte[]> answer) {
        return new UdpBackend(answer).bind(new InetSocketAddress(ip, 0));
    }

    /** A port on {@code ip} that nobody listens on: probes to it meet ICMP port unreachable. */
    static InetSocketAddress closedPort(String ip) {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(ip, 0))) {
            return (InetSocketAddress) probe.getLocalSocketAddress();
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    InetSocketAddress address() {
        return address;
    }

    /** Closes the socket: the kernel now answers the port with ICMP port unreachable. */
    void stop() {
        socket.close();
    }

    /** Binds the same address and port again after {@link #stop()}. */
    void restart() {
        bind(address);
    }

    private UdpBackend bind(InetSocketAddress where) {
        try {
            DatagramSocket s = new DatagramSocket(where);
            address = (InetSocketAddress) s.getLocalSocketAddress();
            socket = s;
            Thread serving = new Thread(() -> serve(s), "backend-" + address);
            serving.setDaemon(true);
            serving.start();
            return this;
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void serve(DatagramSocket s) {
        byte[] buffer = new byte[2048];
        while (!s.isClosed()) {
            DatagramPacket in = new DatagramPacket(buffer, buffer.length);
            try {
                s.receive(in);
                byte[] reply = answer.apply(Arrays.copyOf(in.getData(), in.getLength()));
                if (reply != null) {
                    s.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
