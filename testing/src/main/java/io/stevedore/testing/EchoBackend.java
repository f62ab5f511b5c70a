package io.stevedore.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A peer for tests: answers every datagram with its own id byte followed by the datagram, from the
 * socket it arrived on. With {@link #answerFromNewPort()} it behaves like a TFTP server: it answers
 * each new sender from a fresh socket on the same IP, which then keeps echoing that sender. It can
 * be stopped, so its port answers ICMP port unreachable like a crashed server's, and restarted on
 * the same port. With {@link #answerOnly(byte[])} it answers only well-formed requests, as a real
 * server does to garbage.
 */
public final class EchoBackend implements AutoCloseable {

    private final int id;
    private final InetSocketAddress address;
    private volatile DatagramSocket socket;
    private volatile Thread server;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong receivedOnMainPort = new AtomicLong();
    private final Set<DatagramSocket> transferSockets = ConcurrentHashMap.newKeySet();
    private final Set<InetSocketAddress> senders = ConcurrentHashMap.newKeySet();
    private volatile boolean newPortPerSender;
    private volatile byte[] requiredPrefix = new byte[0];
    private volatile boolean closed;

    private EchoBackend(int id, DatagramSocket socket) {
        this.id = id;
        this.address = (InetSocketAddress) socket.getLocalSocketAddress();
        this.socket = socket;
    }

    /** Binds {@code ip} on an ephemeral port and starts answering. */
    public static EchoBackend start(String ip, int id) throws IOException {
        return start(ip, 0, id);
    }

    /** Binds {@code ip} on {@code port} (peers an A record names share one) and starts answering. */
    public static EchoBackend start(String ip, int port, int id) throws IOException {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), port));
        socket.setReceiveBufferSize(1 << 21);
        EchoBackend backend = new EchoBackend(id, socket);
        backend.server = backend.serve(socket, "echo-" + id);
        return backend;
    }

    public EchoBackend answerFromNewPort() {
        newPortPerSender = true;
        return this;
    }

    /** From now on answers only datagrams that start with {@code prefix}; the others are received and counted. */
    public EchoBackend answerOnly(byte[] prefix) {
        requiredPrefix = prefix.clone();
        return this;
    }

    private boolean wellFormed(byte[] datagram, int length) {
        byte[] prefix = requiredPrefix;
        return length >= prefix.length && Arrays.equals(datagram, 0, prefix.length, prefix, 0, prefix.length);
    }

    private Thread serve(DatagramSocket on, String name) {
        Thread thread = new Thread(() -> loop(on), name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void loop(DatagramSocket on) {
        byte[] in = new byte[65536];
        byte[] out = new byte[65537];
        DatagramPacket packet = new DatagramPacket(in, in.length);
        while (!closed) {
            try {
                packet.setData(in);
                on.receive(packet);
                received.incrementAndGet();
                if (on == socket) {
                    receivedOnMainPort.incrementAndGet();
                }
                InetSocketAddress sender = (InetSocketAddress) packet.getSocketAddress();
                senders.add(sender);
                if (!wellFormed(in, packet.getLength())) {
                    continue;
                }
                DatagramSocket replyFrom = on;
                if (newPortPerSender && on == socket) {
                    replyFrom = new DatagramSocket(new InetSocketAddress(socket.getLocalAddress(), 0));
                    transferSockets.add(replyFrom);
                    serve(replyFrom, "transfer-" + id);
                }
                out[0] = (byte) id;
                System.arraycopy(in, 0, out, 1, packet.getLength());
                replyFrom.send(new DatagramPacket(out, packet.getLength() + 1, sender));
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    public int id() {
        return id;
    }

    public InetSocketAddress address() {
        return address;
    }

    /**
     * Closes the main socket: datagrams to its port now meet ICMP port unreachable. Java frees the
     * port of a socket closed while a thread is blocked receiving on it only once that thread has
     * left the receive, so this waits for the serving thread to end.
     */
    public void stop() throws InterruptedException {
        socket.close();
        server.join(5000);
        if (server.isAlive()) {
            throw new IllegalStateException("echo-" + id + " still serves 5 s after its socket was closed");
        }
    }

    /** Binds the same address and port again after {@link #stop()} and answers as before. */
    public void restart() throws IOException {
        DatagramSocket again = new DatagramSocket(address);
        again.setReceiveBufferSize(1 << 21);
        socket = again;
        server = serve(again, "echo-" + id);
    }

    /** Datagrams received on every socket of this backend. */
    public long received() {
        return received.get();
    }

    /** Datagrams received on the configured port, not on the ports opened to answer. */
    public long receivedOnMainPort() {
        return receivedOnMainPort.get();
    }

    /** Addresses datagrams came from (the daemon's session sockets). */
    public Set<InetSocketAddress> senders() {
        return senders;
    }

    /** The sockets opened to answer from new ports. */
    public Set<DatagramSocket> transferSockets() {
        return transferSockets;
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
        transferSockets.forEach(DatagramSocket::close);
    }
}
