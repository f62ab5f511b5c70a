package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import io.stevedore.testing.ChildProcess;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real dnsmasq in the foreground on one loopback address, answering one name with one A record
 * from its own data: no upstream resolver, no hosts file, no system config.
 */
final class Dnsmasq implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private final InetSocketAddress address;
    private final ChildProcess process;

    private Dnsmasq(InetSocketAddress address, ChildProcess process) {
        this.address = address;
        this.process = process;
    }

    /** Starts dnsmasq on {@code address}, answering {@code name} with {@code answer}, and waits until it answers. */
    static Dnsmasq start(String processName, InetSocketAddress address, String name, InetAddress answer) throws IOException {
        String dnsmasq = RequiredProgram.DNSMASQ.path();
        List<String> command = new ArrayList<>(List.of(dnsmasq,
                "--keep-in-foreground", "--no-daemon",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=",
                "--user=" + System.getProperty("user.name"),
                "--listen-address=" + address.getAddress().getHostAddress(), "--bind-interfaces",
                "--port=" + address.getPort(),
                "--address=/" + name + "/" + answer.getHostAddress(),
                "--log-queries"));
        ChildProcess process = ChildProcess.start(processName, command, null);
        Dnsmasq server = new Dnsmasq(address, process);
        try {
            server.awaitReady(name);
        } catch (RuntimeException | Error | IOException e) {
            process.close();
            throw e;
        }
        return server;
    }

    InetSocketAddress address() {
        return address;
    }

    String describe() {
        return process.describe();
    }

    private void awaitReady(String name) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(Loopback.CLIENT, 0))) {
            socket.setSoTimeout(100);
            byte[] reply = new byte[512];
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            for (int id = 1; System.nanoTime() - deadline < 0; id++) {
                if (!process.isAlive()) {
                    fail("dnsmasq on " + address + " exited at startup: " + process.describe());
                }
                byte[] query = DnsMessages.query(id, 0, name);
                socket.send(new DatagramPacket(query, query.length, address));
                try {
                    DatagramPacket answer = new DatagramPacket(reply, reply.length);
                    socket.receive(answer);
                    if (DnsMessages.answers(reply, answer.getLength(), id)) {
                        return;
                    }
                } catch (SocketTimeoutException notYet) {
                    // not listening yet: ask again
                }
            }
        }
        fail("dnsmasq on " + address + " did not answer within " + READY_TIMEOUT + ": " + process.describe());
    }

    @Override
    public void close() {
        process.close();
    }
}
