package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CompareTableTest {

    private static LoadResult result(double repliesPerSecond, double p50, double p99, double proxyCpu) {
        long received = Math.round(repliesPerSecond * 2);
        return new LoadResult("closed", "test", 2.0, received, received, 0, 0, repliesPerSecond, repliesPerSecond,
                new LoadResult.Latency(received, p50, p50, p99, p99, p99), Map.of("b1", received),
                64, 64, 0, 0, 0, 0, "duration", 1.0, Map.of(77L, proxyCpu, 88L, 1.5));
    }

    @Test
    void theMedianOfAnOddOrEvenNumberOfRuns() {
        assertThat(CompareTable.Spread.of(List.of(3.0, 1.0, 2.0))).contains(new CompareTable.Spread(2, 1, 3));
        assertThat(CompareTable.Spread.of(List.of(4.0, 1.0, 2.0, 3.0))).contains(new CompareTable.Spread(2.5, 1, 4));
        assertThat(CompareTable.Spread.of(List.of())).isEmpty();
    }

    @Test
    void ratesAndLatenciesReadLikeTheIssueTable() {
        assertThat(CompareTable.rate(308_000)).isEqualTo("308k");
        assertThat(CompareTable.rate(9_500)).isEqualTo("9.5k");
        assertThat(CompareTable.rate(840)).isEqualTo("840");
        assertThat(CompareTable.micros(54.26)).isEqualTo("54.3");
        assertThat(CompareTable.micros(1234.4)).isEqualTo("1,234");
    }

    @Test
    void theReportShowsMediansRangesCpuRatiosAndNaForAMissingProxy() {
        List<CompareTable.Run> runs = new ArrayList<>();
        double[] nginx = {60_000, 70_000, 68_000};
        double[] stevedore = {150_000, 140_000, 160_000};
        for (int round = 1; round <= 3; round++) {
            for (CompareShape shape : CompareShape.values()) {
                runs.add(new CompareTable.Run("direct", shape, round, result(300_000, 50, 80, 0), Optional.empty(), 0));
                runs.add(new CompareTable.Run("nginx-1w", shape, round,
                        result(nginx[round - 1], 74, 194, 1.0), Optional.of(77L), 1_200_000));
                runs.add(new CompareTable.Run("stevedore", shape, round,
                        result(stevedore[round - 1], 60, 97, 1.0), Optional.of(77L), 500));
            }
        }
        List<CompareTable.Row> rows = List.of(
                new CompareTable.Row("direct", "direct, no proxy", Optional.empty()),
                new CompareTable.Row("stevedore", "Stevedore", Optional.empty()),
                new CompareTable.Row("nginx-1w", "nginx 1 worker", Optional.empty()),
                new CompareTable.Row("nginx-2w", "nginx 2 workers", Optional.of("nginx not found")));

        String report = new CompareTable(rows, List.of(CompareShape.values()), runs, Optional.of(88L)).markdown();

        assertThat(report).contains("| direct, no proxy | 300k/s (300k–300k) | 300k/s (300k–300k), 0% lost, "
                + "p50 0.1 ms, p99 0.1 ms, 0 overflowed | 80.0 µs (80.0–80.0) | 50.0 µs (50.0–50.0) |");
        assertThat(report).contains("68k/s (60k–70k), 0% lost, p50 0.1 ms, p99 0.2 ms, 1.2M overflowed |");
        assertThat(report).contains("| nginx 1 worker | 68k/s (60k–70k) |");
        assertThat(report).contains("| nginx 2 workers | n/a | n/a | n/a | n/a |");
        assertThat(report).contains("n/a for nginx-2w: nginx not found");
        // 1 s of CPU in a 2 s window: half a core; 1 s over 300k replies.
        assertThat(report).contains("| stevedore | 50% · 3.3 µs/reply |");
        assertThat(report).contains("| closed loop 64 B (64 sockets × 4 in flight) | 2.21× | n/a |");
        assertThat(report).contains("| p99 at 20k/s | 0.50× | n/a |");
        assertThat(report).contains("| flood p99 round trip | 0.50× | n/a |");
        assertThat(report).contains("| CPU per reply, 20k/s | 0.45× | n/a |", "| CPU per reply, one at a time |");
        assertThat(report).contains("| direct | b1 100% | 0 | 50% | 75% |");
    }

    @Test
    void aFloodSaysWhoseQueuesItsDatagramsWaitedIn() {
        List<CompareTable.Run> runs = new ArrayList<>();
        double[] client = {1_100_000, 900_000, 2_000_000};
        for (int round = 1; round <= 3; round++) {
            runs.add(new CompareTable.Run("direct", CompareShape.FLOOD, round, result(300_000, 50, 80, 0),
                    Optional.empty(), 0, Optional.of(new QueueCensus.Queued(null, 832, 0, 60))));
            runs.add(new CompareTable.Run("stevedore", CompareShape.FLOOD, round, result(150_000, 50, 80, 1.0),
                    Optional.of(77L), 0, Optional.of(new QueueCensus.Queued(310_000.0, 52_000, client[round - 1], 60))));
        }
        List<CompareTable.Row> rows = List.of(new CompareTable.Row("direct", "direct", Optional.empty()),
                new CompareTable.Row("stevedore", "Stevedore", Optional.empty()));

        String report = new CompareTable(rows, List.of(CompareShape.FLOOD), runs, Optional.empty()).markdown();

        assertThat(report).contains("| path | proxy's sockets | echo backends' | load client's |",
                "| direct | n/a | 832 B (832 B–832 B), ≈ 0.0 ms | 0 B (0 B–0 B), ≈ 0.0 ms |",
                // 1.1 MB is 1,322 datagrams: 8.8 ms at 150k replies/s.
                "| stevedore | 310 kB (310 kB–310 kB), ≈ 2.5 ms | 52 kB (52 kB–52 kB), ≈ 0.4 ms "
                        + "| 1.1 MB (900 kB–2.0 MB), ≈ 8.8 ms |");
    }

    @Test
    void noQueueTableWithoutACensus() {
        List<CompareTable.Run> runs = List.of(new CompareTable.Run("direct", CompareShape.FLOOD, 1,
                result(300_000, 50, 80, 0), Optional.empty(), 0));
        List<CompareTable.Row> rows = List.of(new CompareTable.Row("direct", "direct", Optional.empty()));

        assertThat(new CompareTable(rows, List.of(CompareShape.FLOOD), runs, Optional.empty()).markdown())
                .doesNotContain("Where the flood's datagrams waited");
    }

    @Test
    void aRateTheClientCouldNotReachIsSaid() {
        List<CompareTable.Run> runs = List.of(new CompareTable.Run("direct", CompareShape.RATE, 1,
                result(12_000, 50, 900, 0), Optional.empty(), 0));
        List<CompareTable.Row> rows = List.of(new CompareTable.Row("direct", "direct", Optional.empty()));

        String report = new CompareTable(rows, List.of(CompareShape.RATE), runs, Optional.empty()).markdown();

        assertThat(report).contains("| direct | 900 µs (900–900), only 12k/s sent |");
    }

    @Test
    void generatedConfigsPointAtTheBackends() {
        List<EchoServer.Listener> backends = List.of(
                new EchoServer.Listener(Loopback.socketAddress("127.0.0.2:40001"), "b1"),
                new EchoServer.Listener(Loopback.socketAddress("127.0.0.3:40002"), "b2"));
        InetSocketAddress listen = Loopback.socketAddress("127.0.0.1:40100");

        String stevedore = ComparePath.stevedoreConfig(listen, 2, ServerTuning.DEFAULTS, backends, false);
        String nginx = ComparePath.nginxConfig(Path.of("/m/stream.so"), 2, Path.of("/p"), listen, backends);

        assertThat(stevedore).contains("\"ListenAddr\": \"127.0.0.1:40100\"", "\"KeyBytes\": \"0:4\"",
                "\"Type\": \"chash\"", "{ \"IP\": \"127.0.0.3\", \"Port\": 40002 }", "\"ListenParallel\": 2");
        assertThat(stevedore).doesNotContain("RecvBufBytes");
        assertThat(ComparePath.stevedoreConfig(listen, 2, new ServerTuning(65536, null), backends, false))
                .contains("\"ListenParallel\": 2, \"RecvBufBytes\": 65536 }");
        assertThat(ComparePath.stevedoreConfig(listen, 2, new ServerTuning(null, 32768), backends, false))
                .contains("\"ListenParallel\": 2, \"FloodRecvBufBytes\": 32768 }");
        assertThat(nginx).contains("load_module /m/stream.so;", "daemon off;", "worker_processes 2;",
                "pid /p/logs/nginx.pid;", "hash $remote_addr consistent;", "server 127.0.0.2:40001;",
                "listen 127.0.0.1:40100 udp reuseport;", "proxy_timeout 30s;");
        assertThat(nginx).doesNotContain("proxy_responses");
        assertThat(stevedore).doesNotContain("ProxyProtocol");
        assertThat(ComparePath.stevedoreConfig(listen, 2, ServerTuning.DEFAULTS, backends, true)).contains("\"ProxyProtocol\": \"v2\",");
    }
}
