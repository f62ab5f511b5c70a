package io.stevedore.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * What one health change costs the thread that reports it: a new snapshot with its Maglev table.
 * Off the data path, but it bounds how fast a flapping peer can be followed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xmx512m"})
public class HealthChangeBenchmark {

    @Param({"8", "50"})
    public int peers;

    @Param({"997", "65537"})
    public int tableSize;

    private Upstream upstream;
    private boolean up;

    @Setup
    public void setUp() {
        List<PeerConfig> configs = new ArrayList<>();
        for (int i = 0; i < peers; i++) {
            configs.add(new PeerConfig(new InetSocketAddress("127.0.1." + (i + 2), 9000), 1, false));
        }
        upstream = Upstream.of(new UpstreamConfig("bench", BalanceType.CHASH, Optional.of(new KeyBytes(0, 4)),
                tableSize, configs, Optional.empty(), Affinity.PACKET, false));
        // measure the rebuild, not the console: every change logs a line at info
        ((Logger) LoggerFactory.getLogger(Upstream.class)).setLevel(Level.WARN);
    }

    /** One rebuild per call: peer 0 alternates down and up. */
    @Benchmark
    public boolean togglePeer() {
        up = !up;
        return upstream.setPeerUp(0, up, "benchmark");
    }
}
