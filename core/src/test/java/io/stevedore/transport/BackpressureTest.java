package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Outbound queues are bounded by a write-buffer water mark; past it a datagram is dropped as
 * {@code backpressure} only when a flush leaves the socket over the mark.
 *
 * <p>Loopback never makes the kernel refuse a UDP send (the datagram is handed to the receiver, or
 * dropped there, at once), so the refusal is shown at unit level with a channel whose flush
 * reaches nothing. The real sockets show the other half: with marks far below one burst, every
 * datagram of a burst still goes through, because crossing the mark flushes first.
 */
@ExtendWith(NettyLeakCheck.class)
class BackpressureTest {

    private static final WriteBufferWaterMark TINY = new WriteBufferWaterMark(1, 1);
    private static final int BURST = 10;

    /** Stands for a kernel that takes nothing: a flush never reaches the socket. */
    private static final class Refusing extends ChannelOutboundHandlerAdapter {
        @Override
        public void flush(ChannelHandlerContext ctx) {
        }
    }

    private static io.netty.channel.socket.DatagramPacket datagram() {
        return new io.netty.channel.socket.DatagramPacket(Unpooled.wrappedBuffer(new byte[100]),
                new InetSocketAddress("127.0.0.1", 9));
    }

    @Test
    void aChannelUnderItsMarkIsNotBackedUpAndNothingIsFlushed() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setWriteBufferWaterMark(Backpressure.SESSION);
        try {
            channel.write(datagram());
            assertThat(Backpressure.backedUp(channel)).isFalse();
            assertThat(channel.outboundMessages()).as("the write waits for the batch's flush").isEmpty();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void overTheMarkTheQueueIsFlushedAndTheChannelTakesMore() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setWriteBufferWaterMark(TINY);
        try {
            channel.write(datagram());
            assertThat(channel.isWritable()).as("one datagram crosses a 1-byte mark").isFalse();
            assertThat(Backpressure.backedUp(channel)).isFalse();
            assertThat(channel.isWritable()).isTrue();
            assertThat(channel.outboundMessages()).hasSize(1);
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void whatAFlushCannotSendLeavesTheChannelBackedUp() {
        EmbeddedChannel channel = new EmbeddedChannel(new Refusing());
        channel.config().setWriteBufferWaterMark(TINY);
        try {
            channel.write(datagram());
            assertThat(Backpressure.backedUp(channel)).isTrue();
            assertThat(channel.outboundMessages()).isEmpty();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aClosedChannelIsNotBackedUp() {
        EmbeddedChannel channel = new EmbeddedChannel(new Refusing());
        channel.close();
        assertThat(Backpressure.backedUp(channel)).as("its write fails and counts as send_error").isFalse();
    }

    @Test
    void theDaemonsSocketsCarryTheirMarks() throws Exception {
        try (DatagramSocket backend = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(local(backend)))).build());
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(3000);
            backend.setSoTimeout(3000);
            Worker worker = daemon.worker(0);
            send(client, "hello", daemon.listenAddress());
            receive(backend);
            Channel session = sessionChannel(worker, client);
            assertThat(worker.listeners().get(0).channel.config().getWriteBufferWaterMark())
                    .isSameAs(Backpressure.LISTENER);
            assertThat(session.config().getWriteBufferWaterMark()).isSameAs(Backpressure.SESSION);
        }
    }

    @Test
    void burstsFarAboveTheMarksAreForwardedWholeBothWays() throws Exception {
        try (DatagramSocket backend = new DatagramSocket(new InetSocketAddress("127.0.0.2", 0));
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(local(backend)))).build());
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(3000);
            backend.setSoTimeout(3000);
            Worker worker = daemon.worker(0);
            InetSocketAddress listen = daemon.listenAddress();
            send(client, "open", listen);
            InetSocketAddress sessionSocket = receive(backend).sender;
            worker.listeners().get(0).channel.config().setWriteBufferWaterMark(TINY);
            sessionChannel(worker, client).config().setWriteBufferWaterMark(TINY);

            // With the loop held, each burst waits whole in a socket's receive queue and is read by
            // one recvmmsg. Toward the peer the batch waits in the outbox and reaches the socket at
            // its end, so the session's mark sees only what the kernel left queued. Toward the client
            // the replies grow in size, so none joins another in a segmented send: each is written to
            // the listener on its own, every one after the first over the mark, which flushes first.
            try (HeldLoop held = HeldLoop.on(worker)) {
                for (int i = 0; i < BURST; i++) {
                    send(client, "up " + i, listen);
                }
            }
            for (int i = 0; i < BURST; i++) {
                assertThat(receive(backend).text).isEqualTo("up " + i);
            }
            try (HeldLoop held = HeldLoop.on(worker)) {
                for (int i = 0; i < BURST; i++) {
                    send(backend, "down " + "+".repeat(i) + i, sessionSocket);
                }
            }
            for (int i = 0; i < BURST; i++) {
                assertThat(receive(client).text).isEqualTo("down " + "+".repeat(i) + i);
            }
            Poll.equal("replies relayed", BURST, () -> daemon.counters().upstream("echo",
                    PeerCounter.REPLIED_DATAGRAMS));
            assertThat(daemon.counters().dropped("backpressure")).isZero();
        }
    }

    private record Received(String text, InetSocketAddress sender) {
    }

    private static InetSocketAddress local(DatagramSocket socket) {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private static Channel sessionChannel(Worker worker, DatagramSocket client) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), client.getLocalPort());
        return worker.loop.submit(() -> worker.sessions().get(address).channel()).get(5, TimeUnit.SECONDS);
    }

    private static void send(DatagramSocket from, String text, InetSocketAddress to) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        from.send(new DatagramPacket(bytes, bytes.length, to));
    }

    private static Received receive(DatagramSocket on) throws Exception {
        byte[] buffer = new byte[2048];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
            on.receive(packet);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("nothing arrived within 3 s", e);
        }
        return new Received(new String(buffer, 0, packet.getLength(), StandardCharsets.US_ASCII),
                (InetSocketAddress) packet.getSocketAddress());
    }
}
