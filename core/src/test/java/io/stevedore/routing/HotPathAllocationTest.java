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
