package io.stevedore.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
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
import io.stevedore.routing.RouteTable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the data plane pays per datagram to decide where it goes: {@link RouteTable#route} then
 * {@link Selector#select}. The datagrams are pooled direct buffers, as epoll hands them over, with
 * random KCP-style conversation ids in bytes 0..4 and a protocol version in bytes 4..6. Every
 * datagram matches only the last route, so all routes are evaluated (the worst case); the routes
 * before it mix operators and field widths, including an 8-byte field.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xmx512m"})
public class RouteSelectBenchmark {

    /** Distinct datagrams cycled through, so Maglev lookups touch the table as real keys do. */
    private static final int DATAGRAMS = 1024;

    @Param({"64", "1200"})
    public int datagramSize;

    @Param({"1", "8", "32"})
    public int routes;

    @Param({"chash", "rr"})
    public String balance;

    private RouteTable table;
    private Selector[] selectors;
    private ByteBuf[] datagrams;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            peers.add(new PeerConfig(new InetSocketAddress("127.0.0." + (i + 2), 9000 + i), 1 + i % 3, false));
        }
        BalanceType type = "chash".equals(balance) ? BalanceType.CHASH : BalanceType.RR;
        UpstreamConfig target = new UpstreamConfig("target", type,
                type == BalanceType.CHASH ? Optional.of(new KeyBytes(0, 4)) : Optional.empty(),
                UpstreamConfig.TABLE_SIZE.defaultValue(), peers, Optional.empty(), Affinity.PACKET, false);
        UpstreamConfig other = new UpstreamConfig("other", BalanceType.RR, Optional.empty(),
                UpstreamConfig.TABLE_SIZE.defaultValue(), peers, Optional.empty(), Affinity.PACKET, false);

        List<RouteConfig> routeConfigs = new ArrayList<>();
        for (int i = 0; i < routes - 1; i++) {
            routeConfigs.add(failingRoute(i));
        }
        routeConfigs.add(new RouteConfig(new KeyBytes(4, 6), Operator.EQ, new byte[] {0, 1}, "target"));
        table = RouteTable.compile(new UploadConfig("deny", routeConfigs, List.of(target, other)));
        selectors = new Selector[] {Upstream.of(target).newSelector(), Upstream.of(other).newSelector()};

        Random random = new Random(1);
        datagrams = new ByteBuf[DATAGRAMS];
        for (int i = 0; i < DATAGRAMS; i++) {
            ByteBuf d = PooledByteBufAllocator.DEFAULT.directBuffer(datagramSize);
            byte[] payload = new byte[datagramSize];
            random.nextBytes(payload);
            d.writeBytes(payload);
            d.setShort(4, 1);
            datagrams[i] = d;
        }
    }

    /** Routes that a datagram with version 0x0001 in bytes 4..6 and any session id fails. */
    private static RouteConfig failingRoute(int i) {
        switch (i % 5) {
            case 0:
                return new RouteConfig(new KeyBytes(4, 6), Operator.EQ, new byte[] {1, (byte) i}, "other");
            case 1:
                return new RouteConfig(new KeyBytes(4, 6), Operator.AND_EQ, new byte[] {(byte) 0x80, 0}, "other");
            case 2:
                return new RouteConfig(new KeyBytes(4, 6), Operator.GT, new byte[] {(byte) 0xff, 0}, "other");
            case 3:
                return new RouteConfig(new KeyBytes(4, 6), Operator.NOT_OR_EQ, new byte[] {(byte) 0xff, (byte) 0xff}, "other");
            default:
                return new RouteConfig(new KeyBytes(6, 14), Operator.LT, new byte[8], "other");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf d : datagrams) {
            d.release();
        }
    }

    @Benchmark
    public int routeAndSelect() {
        ByteBuf d = datagrams[next++ & (DATAGRAMS - 1)];
        int upstream = table.route(d);
        return upstream < 0 ? upstream : selectors[upstream].select(d);
    }
}
