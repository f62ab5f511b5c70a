package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.Counters;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Datagrams of one size for one address leave in one segmented send (UDP GSO), both ways, whole and
 * in order; a run the kernel refuses is sent again datagram by datagram. Each burst is made to
 * arrive in one receive batch by holding the daemon's loop while it is sent, with reads of the
 * whole batch ({@code Server.AdaptiveBatch} off: an adaptive read takes one slot after a pause).
 */
@ExtendWith(NettyLeakCheck.class)
class SegmentsTest {

    @Test
    void aBurstOfOneSizeGoesToThePeerAsOneSendAndComesBackInSendsOfASessionRead() throws Exception {
        int burst = 20;
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            sent.add(datagram(i, i == burst - 1 ? 40 : 100));
        }
        try (DatagramSocket backend = socket("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().wholeBatches().defaultUpstream("echo")
                        .upstream(rr("echo", peer(local(backend)))).build());
                DatagramSocket client = socket("127.0.0.1")) {
            Worker worker = daemon.worker(0);
            try (HeldLoop held = HeldLoop.on(worker)) {
                for (byte[] bytes : sent) {
                    client.send(new DatagramPacket(bytes, bytes.length, daemon.listenAddress()));
                }
            }
            List<DatagramPacket> atPeer = receive(backend, burst);
            assertThat(atPeer).extracting(SegmentsTest::bytes).as("the peer got every datagram whole, in order")
                    .containsExactlyElementsOf(sent);
            // Counted when the send settles, which may be just after the peer has the datagrams.
            Poll.equal("one send carried the burst to the peer", 1, () -> segmentedSends(daemon));

            // The replies wait whole on the session socket, read 16 at a time: two segmented sends.
            try (HeldLoop held = HeldLoop.on(worker)) {
                for (DatagramPacket packet : atPeer) {
                    backend.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
                }
            }
            assertThat(receive(client, burst)).extracting(SegmentsTest::bytes)
                    .as("the client got every reply whole, in order").containsExactlyElementsOf(sent);
            Poll.equal("datagrams sent in segmented sends", 2L * burst, () -> segmentedDatagrams(daemon));
            assertThat(segmentedSends(daemon)).as("one send to the peer, two to the client").isEqualTo(3);
        }
    }

    @Test
    void withAdaptiveReadsABurstAfterAPauseIsFoundByTheProbeAtLatestAndLeavesInRuns() throws Exception {
        int burst = 40;
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            sent.add(datagram(i, 100));
        }
        try (DatagramSocket backend = socket("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(local(backend)))).build());
                DatagramSocket client = socket("127.0.0.1")) {
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (byte[] bytes : sent) {
                    client.send(new DatagramPacket(bytes, bytes.length, daemon.listenAddress()));
                }
            }
            assertThat(receive(backend, burst)).extracting(SegmentsTest::bytes)
                    .as("every datagram whole and in order").containsExactlyElementsOf(sent);
            // Reads of one slot after the pause, one datagram each, until a read ends soon after the
            // last or the probe finds a second datagram; then the rest in one read of the batch.
            int alone = SlotRecvAllocator.PROBE_EVERY - 1;
            Poll.until("at most " + alone + " datagrams read one by one before the backlog was seen",
                    () -> segmentedDatagrams(daemon) >= burst - alone);
        }
    }

    @Test
    void aRunEndsAtADatagramOfAnotherSizeOrAfterAShorterOne() throws Exception {
        int[] sizes = {100, 100, 100, 60, 100, 100, 200, 200, 30};
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            sent.add(datagram(i, sizes[i]));
        }
        try (DatagramSocket backend = socket("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().wholeBatches().defaultUpstream("echo")
                        .upstream(rr("echo", peer(local(backend)))).build());
                DatagramSocket client = socket("127.0.0.1")) {
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (byte[] bytes : sent) {
                    client.send(new DatagramPacket(bytes, bytes.length, daemon.listenAddress()));
                }
            }
            assertThat(receive(backend, sizes.length)).extracting(SegmentsTest::bytes)
                    .as("every datagram whole and in order").containsExactlyElementsOf(sent);
            // 100 100 100 60 | 100 100 | 200 200 30
            Poll.equal("segmented sends", 3, () -> segmentedSends(daemon));
            assertThat(segmentedDatagrams(daemon)).isEqualTo(9);
        }
    }

    @Test
    void datagramsOfTwoSessionsInOneBatchEachLeaveInTheirOwnRun() throws Exception {
        try (DatagramSocket backend = socket("127.0.0.2");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().wholeBatches().defaultUpstream("echo")
                        .upstream(rr("echo", peer(local(backend)))).build());
                DatagramSocket one = socket("127.0.0.1");
                DatagramSocket two = socket("127.0.0.1")) {
            List<String> fromOne = new ArrayList<>();
            List<String> fromTwo = new ArrayList<>();
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (int i = 0; i < 6; i++) {
                    byte[] a = datagram(i, 80);
                    byte[] b = datagram(100 + i, 80);
                    fromOne.add(text(a));
                    fromTwo.add(text(b));
                    one.send(new DatagramPacket(a, a.length, daemon.listenAddress()));
                    two.send(new DatagramPacket(b, b.length, daemon.listenAddress()));
                }
            }
            List<DatagramPacket> atPeer = receive(backend, 12);
            InetSocketAddress first = (InetSocketAddress) atPeer.get(0).getSocketAddress();
            List<String> fromFirst = atPeer.stream().filter(p -> p.getSocketAddress().equals(first))
                    .map(p -> text(bytes(p))).toList();
            List<String> fromOther = atPeer.stream().filter(p -> !p.getSocketAddress().equals(first))
                    .map(p -> text(bytes(p))).toList();
            assertThat(List.of(fromFirst, fromOther)).as("each client's datagrams in order from its session socket")
                    .containsExactlyInAnyOrder(fromOne, fromTwo);
            Poll.equal("segmented sends, one per session", 2, () -> segmentedSends(daemon));
        }
    }

    @Test
    void aRunTheKernelRefusesIsSentDatagramByDatagramAndThatSizeIsNoLongerCombined() throws Exception {
        // SO_NO_CHECK (no UDP checksum) makes the kernel refuse segmentation with EINVAL, as a segment
        // above the path's MTU would on a real interface.
        IntegerUnixChannelOption noCheck = new IntegerUnixChannelOption("SO_NO_CHECK", 1, 11);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (DatagramSocket receiver = socket("127.0.0.2")) {
            DatagramChannel channel = boundChannel(group, noCheck);
            Counters counters = new Counters(List.of(), 1);
            Segments segments = new Segments(Transport.EPOLL.segmentation(), counters.loop(0));
            InetSocketAddress target = local(receiver);
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add(datagram(i, 300));
            }
            List<ChannelPromise> promises = new ArrayList<>();
            channel.eventLoop().submit(() -> {
                assertThat(segments.combines(300)).isTrue();
                ByteBuf[] data = sent.stream().map(b -> channel.alloc().directBuffer().writeBytes(b))
                        .toArray(ByteBuf[]::new);
                ChannelPromise[] each = new ChannelPromise[data.length];
                for (int i = 0; i < each.length; i++) {
                    each[i] = channel.newPromise();
                    promises.add(each[i]);
                }
                segments.write(channel, target, data, each, 0, data.length);
                channel.flush();
            }).get(5, TimeUnit.SECONDS);

            assertThat(receive(receiver, 5)).extracting(SegmentsTest::bytes)
                    .as("every datagram arrived, sent one by one").containsExactlyElementsOf(sent);
            for (ChannelPromise promise : promises) {
                assertThat(promise.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(promise.isSuccess()).as("each datagram's own send succeeded").isTrue();
            }
            assertThat(counters.loop(0, LoopCounter.SEGMENTED_REFUSED)).isEqualTo(1);
            assertThat(counters.loop(0, LoopCounter.SEGMENTED_SENDS)).isZero();
            boolean[] combines = channel.eventLoop().submit(
                    () -> new boolean[] {segments.combines(299), segments.combines(300)}).get(5, TimeUnit.SECONDS);
            assertThat(combines).as("smaller datagrams still combine, that size no longer").containsExactly(true, false);
            channel.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aRunThatMeetsAnEarlierDatagramsIcmpReportFailsItsFirstDatagramOnlyAndSendsTheRest() throws Exception {
        // With IP_RECVERR, the port-unreachable report about a datagram to a closed port fails the
        // socket's next send: here a run to a live receiver. Alone, that run's first datagram would
        // have met the error; so its promise fails, and the others still go out.
        IntegerUnixChannelOption recvErr = new IntegerUnixChannelOption("IP_RECVERR", 0, 11);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        InetSocketAddress closed;
        try (DatagramSocket gone = socket("127.0.0.3")) {
            closed = local(gone);
        }
        try (DatagramSocket receiver = socket("127.0.0.2")) {
            DatagramChannel channel = boundChannel(group, recvErr);
            Counters counters = new Counters(List.of(), 1);
            Segments segments = new Segments(Transport.EPOLL.segmentation(), counters.loop(0));
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sent.add(datagram(i, 200));
            }
            List<ChannelPromise> promises = new ArrayList<>();
            channel.eventLoop().submit(() -> {
                channel.writeAndFlush(new io.netty.channel.socket.DatagramPacket(
                        channel.alloc().directBuffer().writeBytes(new byte[] {1}), closed));
                ByteBuf[] data = sent.stream().map(b -> channel.alloc().directBuffer().writeBytes(b))
                        .toArray(ByteBuf[]::new);
                ChannelPromise[] each = new ChannelPromise[data.length];
                for (int i = 0; i < each.length; i++) {
                    each[i] = channel.newPromise();
                    promises.add(each[i]);
                }
                segments.write(channel, local(receiver), data, each, 0, data.length);
                channel.flush();
            }).get(5, TimeUnit.SECONDS);

            assertThat(receive(receiver, 3)).extracting(SegmentsTest::bytes)
                    .as("the run's other datagrams, sent one by one").containsExactlyElementsOf(sent.subList(1, 4));
            for (ChannelPromise promise : promises) {
                assertThat(promise.await(5, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(promises.get(0).cause()).as("the first datagram met the report")
                    .hasMessageContaining("Connection refused");
            assertThat(promises.subList(1, 4)).allMatch(ChannelPromise::isSuccess);
            assertThat(counters.loop(0, LoopCounter.SEGMENTED_REFUSED)).as("not a refusal of the run").isZero();
            assertThat(channel.eventLoop().submit(() -> segments.combines(200)).get(5, TimeUnit.SECONDS))
                    .as("that size still combines").isTrue();
            channel.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** An epoll datagram socket on 127.0.0.1 with {@code option} set, registered on {@code group}. */
    private static DatagramChannel boundChannel(EventLoopGroup group, IntegerUnixChannelOption option)
            throws InterruptedException {
        DatagramChannel channel = new EpollDatagramChannel();
        channel.config().setOption(option, 1);
        group.register(channel).sync();
        channel.bind(new InetSocketAddress("127.0.0.1", 0)).sync();
        return channel;
    }

    private static byte[] datagram(int seq, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) ('a' + seq % 26));
        bytes[0] = (byte) seq;
        return bytes;
    }

    private static DatagramSocket socket(String ip) throws Exception {
        DatagramSocket socket = new DatagramSocket(new InetSocketAddress(ip, 0));
        socket.setSoTimeout(3000);
        socket.setReceiveBufferSize(1 << 20);
        return socket;
    }

    private static InetSocketAddress local(DatagramSocket socket) {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private static List<DatagramPacket> receive(DatagramSocket socket, int count) throws Exception {
        List<DatagramPacket> packets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("only " + i + " of " + count + " datagrams arrived within 3 s", e);
            }
            packets.add(packet);
        }
        return packets;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(DatagramPacket packet) {
        return Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
    }

    private static long segmentedSends(Daemon daemon) {
        return daemon.counters().loop(0, LoopCounter.SEGMENTED_SENDS);
    }

    private static long segmentedDatagrams(Daemon daemon) {
        return daemon.counters().loop(0, LoopCounter.SEGMENTED_DATAGRAMS);
    }
}
