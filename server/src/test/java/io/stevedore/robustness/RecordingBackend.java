package io.stevedore.robustness;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A peer that remembers every datagram it receives (by {@link Fingerprints}), the largest, and who
 * sent them; it answers through {@link #answer}, by default not at all. Its receive buffer is
 * larger than any UDP datagram, so a datagram is never cut here and the largest size seen is true.
 */
final class RecordingBackend implements AutoCloseable {

    /** A reply to send, from the configured port or from a second port on the same IP (as TFTP does). */
    record Answer(byte[] payload, boolean fromOtherPort) {
    }

    private final int id;
    private final DatagramSocket socket;
    private final DatagramSocket otherPort;
    private final Fingerprints received = new Fingerprints();
    private final AtomicLong count = new AtomicLong();
    private final AtomicInteger largest = new AtomicInteger(-1);
    private final Set<InetSocketAddress> senders = ConcurrentHashMap.newKeySet();
    private volatile Function<byte[], Answer> answer = request -> null;
    private volatile boolean closed;

    private RecordingBackend(int id, DatagramSocket socket, DatagramSocket otherPort) {
        this.id = id;
        this.socket = socket;
        this.otherPort = otherPort;
    }

    static RecordingBackend start(String ip, int id) throws IOException {
        InetAddress address = InetAddress.getByName(ip);
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, 0));
        socket.setReceiveBufferSize(4 << 20);
        DatagramSocket otherPort = new DatagramSocket(new InetSocketAddress(address, 0));
        RecordingBackend backend = new RecordingBackend(id, socket, otherPort);
        Thread thread = new Thread(backend::serve, "recording-backend-" + ip + "-" + id);
        thread.setDaemon(true);
        thread.start();
        return backend;
    }

    /** From now on answers each datagram with what {@code answer} returns (null: no answer). */
    RecordingBackend answering(Function<byte[], Answer> answer) {
        this.answer = answer;
        return this;
    }

    /** Answers like {@code testing.EchoBackend}: its id byte, then the datagram. */
    RecordingBackend echoing() {
        return answering(request -> {
            byte[] reply = new byte[request.length + 1];
            reply[0] = (byte) id;
            System.arraycopy(request, 0, reply, 1, request.length);
            return new Answer(reply, false);
        });
    }

    private void serve() {
        byte[] buffer = new byte[65536 + 1];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        while (!closed) {
            try {
                packet.setData(buffer);
                socket.receive(packet);
                int length = packet.getLength();
                received.add(Fingerprints.of(buffer, 0, length));
                largest.accumulateAndGet(length, Math::max);
                InetSocketAddress sender = (InetSocketAddress) packet.getSocketAddress();
                senders.add(sender);
                Answer reply = answer.apply(Arrays.copyOf(buffer, length));
                count.incrementAndGet();
                if (reply != null) {
                    DatagramSocket from = reply.fromOtherPort() ? otherPort : socket;
                    from.send(new DatagramPacket(reply.payload(), reply.payload().length, sender));
                }
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Datagrams received and, if it had to, answered. */
    long count() {
        return count.get();
    }

    /** The largest datagram received, in bytes; -1 before the first. */
    int largest() {
        return largest.get();
    }

    Fingerprints received() {
        return received;
    }

    /** The daemon's session sockets that wrote to this peer. */
    Set<InetSocketAddress> senders() {
        return senders;
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
        otherPort.close();
    }
}
