package io.stevedore.demo;

import io.stevedore.config.Addresses;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code stevedore demo --backends}: a stand-in for every peer of a configuration (the shipped
 * {@code etc/stevedore.json} by default), so that the daemon started on that file finds its peers
 * up and a user can send it traffic. Each peer's socket answers every datagram with the same bytes,
 * which satisfies any health check whose {@code Expect} is a prefix of its {@code Send} (an echo),
 * and prints one line per datagram that is not a health probe, naming the peer that got it.
 */
public final class ExampleBackends implements AutoCloseable {

    /** Bytes of a datagram shown in its line; the rest is counted. */
    private static final int SHOWN = 64;

    private final List<DatagramSocket> sockets;
    private final PrintWriter out;

    private ExampleBackends(List<DatagramSocket> sockets, PrintWriter out) {
        this.sockets = sockets;
        this.out = out;
    }

    /**
     * Binds a socket on every peer's address of {@code config} and answers on it, each on a daemon
     * thread of its own, until {@link #close()}.
     *
     * @throws DemoException when an address cannot be bound (in use, or not a local address)
     */
    public static ExampleBackends start(StevedoreConfig config, PrintWriter out) throws DemoException {
        List<DatagramSocket> sockets = new ArrayList<>();
        ExampleBackends backends = new ExampleBackends(sockets, out);
        try {
            for (UpstreamConfig upstream : config.upload().upstreams()) {
                byte[] probe = upstream.healthChecker().map(HealthCheckConfig::send).orElse(null);
                for (PeerConfig peer : upstream.peers()) {
                    DatagramSocket socket = bind(peer.address());
                    sockets.add(socket);
                    String name = "upstream " + upstream.name() + ", peer " + Addresses.format(peer.address())
                            + (peer.backup() ? " (backup)" : "");
                    Thread thread = new Thread(() -> backends.answer(socket, name, probe),
                            "example-backend-" + Addresses.format(peer.address()));
                    thread.setDaemon(true);
                    thread.start();
                    out.println("backend for " + name + " listening");
                }
            }
        } catch (DemoException e) {
            backends.close();
            throw e;
        }
        out.flush();
        return backends;
    }

    private static DatagramSocket bind(InetSocketAddress address) throws DemoException {
        try {
            return new DatagramSocket(address);
        } catch (IOException e) {
            throw new DemoException("cannot open a UDP socket on " + Addresses.format(address) + ": " + e.getMessage()
                    + " (is another program, or another demo --backends, using it?)");
        }
    }

    private void answer(DatagramSocket socket, String name, byte[] probe) {
        byte[] in = new byte[65536];
        DatagramPacket packet = new DatagramPacket(in, in.length);
        while (!socket.isClosed()) {
            try {
                packet.setData(in);
                socket.receive(packet);
                int length = packet.getLength();
                socket.send(new DatagramPacket(in, length, packet.getSocketAddress()));
                if (probe == null || !Arrays.equals(in, 0, length, probe, 0, probe.length)) {
                    print(name, (InetSocketAddress) packet.getSocketAddress(), in, length);
                }
            } catch (IOException closedOrRefused) {
                // Closed by close(); or a reply toward a socket that is gone, which costs only that reply.
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    private void print(String name, InetSocketAddress from, byte[] data, int length) {
        synchronized (out) {
            out.println(name + ": " + length + " bytes from " + Addresses.format(from) + ", echoed: "
                    + printable(data, Math.min(length, SHOWN)) + (length > SHOWN ? "…" : ""));
            out.flush();
        }
    }

    /** Text as text, other bytes as \xNN. */
    private static String printable(byte[] data, int length) {
        StringBuilder text = new StringBuilder("\"");
        for (int i = 0; i < length; i++) {
            int b = data[i] & 0xFF;
            if (b >= 0x20 && b < 0x7F && b != '"' && b != '\\') {
                text.append((char) b);
            } else {
                text.append(String.format("\\x%02x", b));
            }
        }
        return text.append('"').toString();
    }

    /** Blocks until the process is stopped (Ctrl-C). */
    public void await() throws InterruptedException {
        Thread.currentThread().join();
    }

    @Override
    public void close() {
        sockets.forEach(DatagramSocket::close);
    }
}
