package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.HandPeer;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Datagrams the kernel drops at a full receive buffer are counted as the kernel counts them: a
 * loop is held while more datagrams arrive than its socket's smallest buffer holds, and the
 * counters must show what {@code /proc/net/udp} shows for that socket.
 */
@ExtendWith(NettyLeakCheck.class)
class OverflowTest {

    /** Asked of the kernel: 8 KiB granted, about ten small datagrams. */
    private static final int SMALLEST = 4096;
    private static final int SENT = 400;

    @Test
    void aFullListenerIsCountedAsOverflowPerListener() throws Exception {
        try (Daemon daemon = ControlPlane.startDataPlane(new TestConfig().recvBufBytes(SMALLEST).build(), Transport.EPOLL);
                Client client = new Client(daemon.listenAddress())) {
            int port = daemon.listenAddress().getPort();
            assertThat(daemon.worker(0).listeners().get(0).channel.config().getReceiveBufferSize())
                    .as("what the kernel granted: twice what was asked").isEqualTo(2 * SMALLEST);
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (int i = 0; i < SENT; i++) {
                    client.send(new byte[64]);
                }
                Poll.until("the kernel drops at the held listener", () -> kernelDrops(port) > 0);
            }
            // What was queued is read once the loop resumes, and goes nowhere (no route): every
            // datagram is then counted once, by the loop or by the kernel.
            Poll.equal("datagrams read or dropped by the kernel", SENT,
                    () -> daemon.counters().dropped(DropReason.NO_ROUTE) + daemon.counters().dropped(DropReason.OVERFLOW));
            long lost = kernelDrops(port);
            assertThat(daemon.counters().dropped(DropReason.OVERFLOW)).isEqualTo(lost).isGreaterThan(SENT / 2);
            assertThat(daemon.counters().overflow(0)).isEqualTo(lost);
            assertThat(daemon.counters().dropped(DropReason.SESSION_OVERFLOW)).isZero();
            assertThat(daemon.counters().loop(0, LoopCounter.LISTENER_SHRINKS))
                    .as("FloodRecvBufBytes (64 KiB) above RecvBufBytes: nothing to shrink to").isZero();
            assertThat(daemon.worker(0).listeners().get(0).channel.config().getReceiveBufferSize()).isEqualTo(2 * SMALLEST);
        }
    }

    @Test
    void aFullSessionSocketIsCountedAsSessionOverflowAndTheCountOutlivesTheSocket() throws Exception {
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().sessionRecvBufBytes(SMALLEST).timeouts(1, 1)
                        .defaultUpstream("p")
                        .upstream(rr("p", peer(peer.address()))).build(), Transport.EPOLL);
                Client client = new Client(daemon.listenAddress())) {
            client.send(new byte[] {1});
            DatagramPacket first = peer.receive();
            InetSocketAddress session = (InetSocketAddress) first.getSocketAddress();
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (int i = 0; i < SENT; i++) {
                    peer.send(new byte[64], session);
                }
                Poll.until("the kernel drops at the held session socket", () -> kernelDrops(session.getPort()) > 0);
            }
            Poll.until("replies dropped by the kernel, as counted", () -> {
                long counted = daemon.counters().dropped(DropReason.SESSION_OVERFLOW);
                return counted > SENT / 2 && counted == kernelDrops(session.getPort());
            });
            long counted = daemon.counters().dropped(DropReason.SESSION_OVERFLOW);
            // The idle session is swept and its socket, with the kernel's count, is gone.
            Poll.until(java.time.Duration.ofSeconds(10), "the idle session closed", () -> daemon.sessionCount() == 0);
            // The table lets the session go a moment before its loop closes the socket.
            Poll.until("the session socket closed", () -> kernelDrops(session.getPort()) == 0);
            assertThat(daemon.counters().dropped(DropReason.SESSION_OVERFLOW)).as("a counter never goes back")
                    .isEqualTo(counted);
            assertThat(daemon.counters().dropped(DropReason.OVERFLOW)).isZero();
        }
    }

    @Test
    void whatASessionSocketDroppedSinceTheLastReadingIsCountedAsItCloses() throws Exception {
        try (HandPeer peer = new HandPeer("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().sessionRecvBufBytes(SMALLEST).timeouts(1, 1)
                        .defaultUpstream("p")
                        .upstream(rr("p", peer(peer.address()))).build(), Transport.EPOLL);
                Client client = new Client(daemon.listenAddress())) {
            assertThat(daemon.counters().dropped(DropReason.SESSION_OVERFLOW)).as("a reading before any drop").isZero();
            client.send(new byte[] {1});
            DatagramPacket first = peer.receive();
            InetSocketAddress session = (InetSocketAddress) first.getSocketAddress();
            long lost;
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (int i = 0; i < SENT; i++) {
                    peer.send(new byte[64], session);
                }
                Poll.until("the kernel drops at the held session socket", () -> kernelDrops(session.getPort()) > 0);
                // Everything is sent: what the socket dropped, it dropped by now.
                lost = kernelDrops(session.getPort());
            }
            // No reading of the counters until the idle session and its socket are gone.
            Poll.until(java.time.Duration.ofSeconds(10), "the idle session closed", () -> daemon.sessionCount() == 0);
            // The table lets the session go a moment before its loop closes the socket.
            Poll.until("the session socket and its counter gone", () -> kernelDrops(session.getPort()) == 0);
            assertThat(daemon.counters().dropped(DropReason.SESSION_OVERFLOW))
                    .as("what the socket dropped, handed over as it closed").isEqualTo(lost).isGreaterThan(SENT / 2);
            assertThat(daemon.counters().dropped(DropReason.SESSION_OVERFLOW)).as("read again: counted once")
                    .isEqualTo(lost);
        }
    }

    /**
     * The {@code drops} of the sockets bound to {@code port}, read straight from the kernel's
     * tables: columns sl, local address:port (hex), ..., inode, ref, pointer, drops.
     */
    static long kernelDrops(int port) {
        String suffix = String.format(":%04X", port);
        long drops = 0;
        for (String table : new String[] {"/proc/net/udp", "/proc/net/udp6"}) {
            for (String line : lines(table)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length >= 13 && fields[1].endsWith(suffix)) {
                    drops += Long.parseLong(fields[fields.length - 1]);
                }
            }
        }
        return drops;
    }

    private static java.util.List<String> lines(String table) {
        try {
            return Files.readAllLines(Path.of(table));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
