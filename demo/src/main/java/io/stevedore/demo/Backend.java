package io.stevedore.demo;

import io.stevedore.config.Addresses;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A demo server on one loopback address. It answers every datagram with the last byte of its own
 * IP followed by the datagram, so a client behind the load balancer can tell which backend
 * answered. Health probes are answered the same way but not counted as data.
 *
 * <p>{@link #kill()} closes its socket as a crashed process would: the kernel then answers the
 * port with ICMP port unreachable, which is what the health check notices. {@link #restart()}
 * binds the same port again.
 */
final class Backend implements AutoCloseable {

    private static final int LOW_PORTS_FROM = 20000;
    private static final int LOW_PORTS_TO = 32768;
    private static final int PORT_ATTEMPTS = 100;

    private final InetSocketAddress address;
    private final byte id;
    private final byte[] probe;
    private final AtomicLong data = new AtomicLong();
    private volatile DatagramSocket socket;

    private Backend(DatagramSocket socket, byte[] probe) {
        this.address = (InetSocketAddress) socket.getLocalSocketAddress();
        this.id = address.getAddress().getAddress()[3];
        this.probe = probe.clone();
        this.socket = socket;
    }

    /**
     * Starts a backend on {@code ip}, on a free port below the kernel's ephemeral range.
     *
     * @param probe the health checker's payload, counted as a probe rather than data
     */
    static Backend start(String ip, byte[] probe) throws DemoException {
        Backend backend = new Backend(bindBelowEphemeral(ip), probe);
        backend.serve(backend.socket);
        return backend;
    }

    /**
     * A socket on {@code ip} at a random free port from {@link #LOW_PORTS_FROM} up. The kernel
     * gives other sockets ports from 32768 up, so while a killed backend is down, its port is not
     * handed to whatever socket opens next (another demo running at the same time included); a
     * random start keeps two demos apart.
     */
    private static DatagramSocket bindBelowEphemeral(String ip) throws DemoException {
        InetAddress host = address(ip);
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOW_PORTS_FROM, LOW_PORTS_TO);
            try {
                return new DatagramSocket(new InetSocketAddress(host, port));
            } catch (BindException busy) {
                // Try another port; an address that cannot be bound at all shows below.
            } catch (IOException e) {
                throw unusable(ip, e);
            }
        }
        return bind(ip);
    }

    /** A socket on {@code ip} at a port the system picks. */
    static DatagramSocket bind(String ip) throws DemoException {
        try {
            return new DatagramSocket(new InetSocketAddress(address(ip), 0));
        } catch (IOException e) {
            throw unusable(ip, e);
        }
    }

    private static InetAddress address(String ip) throws DemoException {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new DemoException(ip + " is not an address: " + e.getMessage());
        }
    }

    private static DemoException unusable(String ip, IOException e) {
        return new DemoException("cannot open a UDP socket on " + ip + ": " + e.getMessage()
                + " (Linux answers on all of 127.0.0.0/8; elsewhere add the address to the loopback interface, "
                + "e.g. on macOS: sudo ifconfig lo0 alias " + ip + ")");
    }

    private void serve(DatagramSocket on) {
        Thread thread = new Thread(() -> answer(on), "demo-backend-" + address.getHostString());
        thread.setDaemon(true);
        thread.start();
    }

    private void answer(DatagramSocket on) {
        byte[] in = new byte[65536];
        byte[] out = new byte[in.length + 1];
        DatagramPacket packet = new DatagramPacket(in, in.length);
        while (!on.isClosed()) {
            try {
                packet.setData(in);
                on.receive(packet);
                int length = packet.getLength();
                boolean isProbe = Arrays.equals(in, 0, length, probe, 0, probe.length);
                if (!isProbe) {
                    data.incrementAndGet();
                }
                out[0] = id;
                System.arraycopy(in, 0, out, 1, length);
                on.send(new DatagramPacket(out, length + 1, packet.getSocketAddress()));
            } catch (IOException closedOrRefused) {
                // Closed by kill(); or a send toward a client that is gone, which costs only that answer.
                if (on.isClosed()) {
                    return;
                }
            }
        }
    }

    /** The byte every answer starts with: the last byte of this backend's IP. */
    static int idOf(InetSocketAddress address) {
        return address.getAddress().getAddress()[3] & 0xFF;
    }

    InetSocketAddress address() {
        return address;
    }

    String ip() {
        return address.getHostString();
    }

    int id() {
        return id & 0xFF;
    }

    /** Datagrams received that were not health probes. */
    long data() {
        return data.get();
    }

    /** Closes the socket, as a crash would: the port answers ICMP port unreachable from now on. */
    void kill() {
        socket.close();
    }

    /** Binds the same address and port again after {@link #kill()}. */
    void restart() throws DemoException {
        try {
            DatagramSocket again = new DatagramSocket(address);
            socket = again;
            serve(again);
        } catch (IOException e) {
            throw new DemoException("cannot restart the backend on " + Addresses.format(address)
                    + ": " + e.getMessage() + " (something else took the port meanwhile)");
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
