package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The daemon in a network namespace of its own whose ephemeral port range {@link PortExhaustionTest}
 * narrowed to {@link #PORTS} ports: {@link #CLIENTS} clients each send one datagram, and this prints
 * what became of them as {@code key=value} lines. Every socket but the session sockets is bound to an
 * explicit port outside the range, so the range is the session sockets' alone.
 */
public final class PortExhaustionMain {

    static final int PORTS = 5;
    static final int CLIENTS = 12;
    static final int FIRST_FIXED_PORT = 40_000;

    private PortExhaustionMain() {
    }

    public static void main(String[] args) throws Exception {
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress("127.0.0.2", FIRST_FIXED_PORT))) {
            Thread echoing = new Thread(() -> echo(echo), "echo");
            echoing.setDaemon(true);
            echoing.start();
            TestConfig config = new TestConfig().listen("127.0.0.1", FIRST_FIXED_PORT + 1).defaultUpstream("echo")
                    .upstream(rr("echo", peer((InetSocketAddress) echo.getLocalSocketAddress())));
            try (Daemon daemon = ControlPlane.startDataPlane(config.build())) {
                List<DatagramSocket> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < CLIENTS; i++) {
                        DatagramSocket client = new DatagramSocket(
                                new InetSocketAddress("127.0.0.1", FIRST_FIXED_PORT + 10 + i));
                        clients.add(client);
                        client.send(new DatagramPacket(new byte[] {(byte) i}, 1, daemon.listenAddress()));
                    }
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (opened(daemon) + refused(daemon) < CLIENTS && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    while (replied(daemon) < opened(daemon) && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    System.out.println("sessions=" + opened(daemon));
                    System.out.println("session_limit=" + refused(daemon));
                    System.out.println("replies=" + replied(daemon));
                    System.out.println("idle_loop_cpu_ms=" + idleLoopCpuMillis(daemon));
                } finally {
                    clients.forEach(DatagramSocket::close);
                }
            }
        }
    }

    private static long opened(Daemon daemon) {
        return daemon.counters().total(LoopCounter.SESSIONS_OPENED);
    }

    /** Replies relayed to clients. */
    private static long replied(Daemon daemon) {
        return daemon.counters().upstream("echo", PeerCounter.REPLIED_DATAGRAMS);
    }

    private static long refused(Daemon daemon) {
        return daemon.counters().dropped(DropReason.SESSION_LIMIT);
    }

    /** CPU the event loop uses over half a second with no traffic: near zero unless it spins. */
    private static long idleLoopCpuMillis(Daemon daemon) throws Exception {
        long thread = daemon.worker(0).loop.submit(() -> Thread.currentThread().getId()).get(5, TimeUnit.SECONDS);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getThreadCpuTime(thread);
        Thread.sleep(500);
        return TimeUnit.NANOSECONDS.toMillis(threads.getThreadCpuTime(thread) - before);
    }

    private static void echo(DatagramSocket socket) {
        byte[] buffer = new byte[2048];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                socket.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
            } catch (java.io.IOException e) {
                return;
            }
        }
    }
}
