package io.stevedore.loadtool;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Is a path serving? One datagram at a time until an echo's tagged reply comes back through it. */
final class Probe {

    private static final int ATTEMPT_MILLIS = 200;

    private Probe() {
    }

    /**
     * Sends probes to {@code target} until one is answered with a backend tag, or the deadline
     * passes or {@code keepTrying} says the server died.
     */
    static boolean answers(InetSocketAddress target, Duration timeout, BooleanSupplier keepTrying)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] request = ByteBuffer.allocate(Wire.HEADER_SIZE).putInt(0x7fff_ffff).array();
        byte[] reply = new byte[Wire.HEADER_SIZE];
        Loopback.requireLoopback(target.getAddress());
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(Loopback.sameFamily(target.getAddress()), 0))) {
            socket.setSoTimeout(ATTEMPT_MILLIS);
            while (System.nanoTime() - deadline < 0 && keepTrying.getAsBoolean()) {
                socket.send(new DatagramPacket(request, request.length, target));
                try {
                    DatagramPacket packet = new DatagramPacket(reply, reply.length);
                    socket.receive(packet);
                    if (packet.getLength() >= Wire.BACKEND_OFFSET + 4
                            && ByteBuffer.wrap(reply).getInt(Wire.BACKEND_OFFSET) != 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    // Not serving yet: try again until the deadline.
                } catch (PortUnreachableException e) {
                    // Nothing bound yet.
                }
            }
        }
        return false;
    }
}
