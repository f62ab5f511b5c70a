package io.stevedore.demo;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A NAT in a box: relays one client's datagrams to a target from an outside socket, and the
 * target's answers back, until {@link #rebind()} moves the outside to a new port, as a NAT does
 * when its mapping expires. Every datagram the client sends is also handed to a tap.
 */
public final class Rebinder implements AutoCloseable {

    private final DatagramSocket inside;
    private final InetSocketAddress target;
    private final String outsideIp;
    private final Consumer<byte[]> tap;
    private final List<DatagramSocket> outsides = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile DatagramSocket outside;
    private volatile SocketAddress client;
    private volatile boolean closed;

    public Rebinder(String insideIp, String outsideIp, InetSocketAddress target, Consumer<byte[]> tap)
            throws IOException {
        this.inside = new DatagramSocket(new InetSocketAddress(insideIp, 0));
        this.target = target;
        this.outsideIp = outsideIp;
        this.tap = tap;
        rebind();
        start("rebinder-in", () -> {
            byte[] buffer = new byte[65_535];
            while (!closed) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                inside.receive(packet);
                client = packet.getSocketAddress();
                tap.accept(Arrays.copyOf(packet.getData(), packet.getLength()));
                outside.send(new DatagramPacket(packet.getData(), packet.getLength(), target));
            }
        });
    }

    /** Where the client sends. */
    public InetSocketAddress address() {
        return (InetSocketAddress) inside.getLocalSocketAddress();
    }

    /** The outside address the target sees now. */
    public InetSocketAddress outside() {
        return (InetSocketAddress) outside.getLocalSocketAddress();
    }

    /** From now on the client's datagrams leave from a new port; answers to the old one still come through. */
    public synchronized void rebind() throws SocketException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(outsideIp, 0));
        outsides.add(socket);
        start("rebinder-out", () -> {
            byte[] buffer = new byte[65_535];
            while (!closed) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                SocketAddress to = client;
                if (to != null) {
                    inside.send(new DatagramPacket(packet.getData(), packet.getLength(), to));
                }
            }
        });
        outside = socket;
    }

    private interface Loop {
        void run() throws IOException;
    }

    private synchronized void start(String name, Loop loop) {
        Thread thread = new Thread(() -> {
            try {
                loop.run();
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException(name + " failed", e);
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
    }

    @Override
    public synchronized void close() {
        closed = true;
        inside.close();
        outsides.forEach(DatagramSocket::close);
        try {
            for (Thread thread : threads) {
                thread.join(2_000);
            }
        } catch (InterruptedException e) {
            // Its sockets are closed, so its threads end by themselves.
            Thread.currentThread().interrupt();
        }
    }
}
