package io.stevedore.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.Operator;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.RouteConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.quic.ServerIdCodec;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * route + select allocate nothing, counted by the JVM's per-thread allocation counter (the JMH
 * benchmark measures the same with {@code -prof gc}; this guards it in every build). Plain
 * wrapped buffers are used because paranoid leak detection records every access of a tracked one.
 */
class HotPathAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void routeAndSelectAllocateNothing() {
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            peers.add(new PeerConfig(new InetSocketAddress("127.0.0." + (i + 2), 9000), 1 + i % 3, i == 7));
        }
        UpstreamConfig chash = new UpstreamConfig("kcp", BalanceType.CHASH, Optional.of(new KeyBytes(0, 12)), 65537,
                peers, Optional.empty(), Affinity.PACKET, false);
        UpstreamConfig rr = new UpstreamConfig("rr", BalanceType.RR, Optional.empty(), 65537,
                peers, Optional.empty(), Affinity.PACKET, false);
        // bytes 20..30 of every datagram are 0x55: each of these routes is evaluated in full and fails
        List<RouteConfig> routes = new ArrayList<>();
        String[][] failing = {{"==", "aa"}, {"!=", "55"}, {"|=", "aa"}, {"!|=", "ff"}, {"&=", "aa"}, {"!&=", "55"},
                {"<", "00"}, {"<=", "00"}, {">", "ff"}};
        for (String[] opValue : failing) {
            routes.add(new RouteConfig(new KeyBytes(20, 30), Operator.fromSymbol(opValue[0]),
                    HexFormat.of().parseHex(opValue[1].repeat(10)), "nowhere"));
        }
        routes.add(new RouteConfig(new KeyBytes(0, 1), Operator.GE, new byte[] {(byte) 0x80}, "kcp"));
        RouteTable table = RouteTable.compile(new UploadConfig("rr", routes, List.of(chash, rr)));
        Selector[] selectors = {Upstream.of(chash).newSelector(), Upstream.of(rr).newSelector()};
        byte[] payload = new byte[64];
        Arrays.fill(payload, 20, 30, (byte) 0x55);
        ByteBuf datagram = Unpooled.wrappedBuffer(payload);

        long sink = loop(table, selectors, datagram, payload, 200_000);
        // The JVM itself may allocate a few bytes on this thread during a round (a JIT
        // transition, a deoptimisation): the quietest of several rounds is the code's own cost.
        // Any per-call allocation would cost at least 16 B x 200000 calls in every round.
        long quietest = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long start = THREADS.getCurrentThreadAllocatedBytes();
            sink += loop(table, selectors, datagram, payload, 200_000);
            quietest = Math.min(quietest, THREADS.getCurrentThreadAllocatedBytes() - start);
        }

        assertThat(sink).as("datagrams went to peers").isGreaterThan(200_000);
        assertThat(quietest).as("bytes allocated by 200000 route+select").isLessThan(256);
    }

    /** A quic upstream decodes each connection ID in place: plaintext, one AES block, and the Feistel rounds. */
    @Test
    void routingByServerIdAllocatesNothing() {
        byte[] key = HexFormat.of().parseHex("8f95f09245765f80256934e50c66207f");
        List<QuicLbConfig> configs = List.of(QuicLbConfig.plaintext(0, 3, 4), new QuicLbConfig(1, 3, 13, key),
                new QuicLbConfig(2, 3, 9, key));
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            peers.add(new PeerConfig(new InetSocketAddress("127.0.0." + (i + 2), 9000), 1, false, false,
                    new byte[] {0, 1, (byte) i}));
        }
        Selector selector = Upstream.of(new UpstreamConfig("quic", BalanceType.QUIC, Optional.empty(), 65537, peers,
                Optional.empty(), Affinity.PACKET, false, false, configs)).newSelector();
        ByteBuf[] datagrams = new ByteBuf[configs.size()];
        for (int c = 0; c < datagrams.length; c++) {
            byte[] cid = new ServerIdCodec(configs.get(c)).encode(new byte[] {0, 1, (byte) c}, new byte[configs.get(c).nonceLength()], false);
            byte[] datagram = new byte[1 + cid.length + 30];
            datagram[0] = 0x41;
            System.arraycopy(cid, 0, datagram, 1, cid.length);
            datagrams[c] = Unpooled.wrappedBuffer(datagram);
        }

        long sink = quicLoop(selector, datagrams, 100_000);
        long quietest = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long start = THREADS.getCurrentThreadAllocatedBytes();
            sink += quicLoop(selector, datagrams, 100_000);
            quietest = Math.min(quietest, THREADS.getCurrentThreadAllocatedBytes() - start);
        }

        assertThat(sink).as("every datagram routed to its peer").isEqualTo(6L * 100_000 * (0 + 1 + 2));
        assertThat(quietest).as("bytes allocated by 300000 decodes").isLessThan(256);
    }

    private static long quicLoop(Selector selector, ByteBuf[] datagrams, int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            for (ByteBuf datagram : datagrams) {
                sum += selector.byServerId(datagram);
            }
        }
        return sum;
    }

    private static long loop(RouteTable table, Selector[] selectors, ByteBuf datagram, byte[] payload, int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            payload[0] = (byte) i;
            payload[5] = (byte) (i >> 8);
            int upstream = table.route(datagram);
            sum += upstream >= 0 ? selectors[upstream].select(datagram) + 1 : 0;
        }
        return sum;
    }
}
