package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import io.stevedore.testing.ChildProcess;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.function.IntFunction;

/**
 * Waits for a UDP server a test just started: asks it again and again from 127.0.0.1 until a
 * fitting answer comes, since a program cannot say when its socket is bound.
 */
final class ReadinessProbe {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Whether {@code length} bytes of {@code reply} answer the question of attempt {@code attempt}. */
    interface Answer {
        boolean fits(int attempt, byte[] reply, int length);
    }

    private ReadinessProbe() {
    }

    /**
     * Sends {@code question(attempt)} to {@code address} until {@code answer} fits; fails naming
     * {@code program} when the process exits first or {@link #TIMEOUT} passes, and then ends it.
     */
    static void await(String program, InetSocketAddress address, ChildProcess process, IntFunction<byte[]> question,
                      Answer answer) throws IOException {
        try {
            poll(program, address, process, question, answer);
        } catch (RuntimeException | Error | IOException e) {
            process.close();
            throw e;
        }
    }

    private static void poll(String program, InetSocketAddress address, ChildProcess process,
                             IntFunction<byte[]> question, Answer answer) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(Loopback.CLIENT, 0))) {
            socket.setSoTimeout(100);
            byte[] reply = new byte[2048];
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            for (int attempt = 1; System.nanoTime() - deadline < 0; attempt++) {
                if (!process.isAlive()) {
                    fail(program + " on " + address + " exited at startup: " + process.describe());
                }
                byte[] asked = question.apply(attempt);
                socket.send(new DatagramPacket(asked, asked.length, address));
                try {
                    DatagramPacket received = new DatagramPacket(reply, reply.length);
                    socket.receive(received);
                    // A server slow to start answers the early attempts late: any of them will do,
                    // or every reply read would be one attempt behind for good.
                    for (int id = attempt; id >= 1; id--) {
                        if (answer.fits(id, reply, received.getLength())) {
                            return;
                        }
                    }
                } catch (SocketTimeoutException notYet) {
                    // not listening yet: ask again
                }
            }
        }
        fail(program + " on " + address + " did not answer within " + TIMEOUT + ": " + process.describe());
    }
}
