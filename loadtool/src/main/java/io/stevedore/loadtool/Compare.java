package io.stevedore.loadtool;

import io.stevedore.config.Addresses;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The side-by-side benchmark: echo backends on 127.0.0.2-4, then, round after round, the same four
 * measurements through each path in turn (the direct path, Stevedore, nginx with one worker and
 * with two), so that whatever else the machine does falls on every path alike. Prints markdown
 * tables of the medians with their range, the proxies' CPU and the ratios Stevedore / nginx.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Benchmark the direct path, Stevedore and nginx's stream proxy side by side on loopback, "
                + "alternating, and print a markdown report of medians (min-max).",
                "A path whose proxy is missing or does not answer is reported as n/a."})
final class Compare implements Callable<Integer> {

    static final List<String> ALL_PATHS = List.of("direct", "stevedore", "stevedore-proxy", "baseline", "nginx-1w",
            "nginx-2w");
    static final String BACKEND_IPS = "127.0.0.2,127.0.0.3,127.0.0.4";

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds; each measures every path once per shape (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--duration", defaultValue = "3", description = "Measured seconds per run (default ${DEFAULT-VALUE}).")
    double duration;

    @Option(names = "--warmup", defaultValue = "1", description = "Seconds of load before each measurement (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--paths", defaultValue = "direct,stevedore,nginx-1w,nginx-2w", split = ",",
            description = "Paths to measure (default ${DEFAULT-VALUE}); also stevedore-proxy (the same daemon writing a "
                    + "PROXY protocol v2 header before every datagram) and baseline.")
    List<String> paths;

    @Option(names = "--stevedore", defaultValue = "bin/stevedore", description = "Stevedore launcher, run as LAUNCHER -c CONFIG (default ${DEFAULT-VALUE}).")
    Path stevedore;

    @Option(names = "--baseline", defaultValue = "target/baseline/bin/stevedore",
            description = "Launcher of the path 'baseline': another Stevedore build to measure against this one "
                    + "(default ${DEFAULT-VALUE}).")
    Path baseline;

    @Option(names = "--parallel", defaultValue = "2",
            description = "ListenParallel of the Stevedore path (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--recv-buf", description = "Server.RecvBufBytes of the Stevedore and baseline paths "
            + "(default: the daemon's own).")
    Integer recvBuf;

    @Option(names = "--flood-recv-buf", description = "Server.FloodRecvBufBytes of the Stevedore and baseline paths "
            + "(default: the daemon's own).")
    Integer floodRecvBuf;

    @Option(names = "--echo-threads", defaultValue = "1",
            description = "Event loop threads of the echo backends (default ${DEFAULT-VALUE}). A path that relays "
                    + "more than one thread echoes queues its excess in the echo's sockets, and the round trip "
                    + "then measures that queue.")
    int echoThreads;

    @Option(names = "--client", defaultValue = "jvm",
            description = "Client of the flood: jvm (this process, default) or native (udpflood, a client in C "
                    + "built with gcc into --work, whose own receive queue stays short where the JVM's does not keep "
                    + "up with a fast proxy). The other shapes always use the JVM client.")
    String client;

    @Option(names = "--baseline-parallel", description = "ListenParallel of the baseline path (default: --parallel).")
    Integer baselineParallel;

    @Option(names = "--shapes", defaultValue = "closed,flood,rate,one_at_a_time", split = ",",
            description = "Measurements to run (default ${DEFAULT-VALUE}).")
    List<String> shapeNames;

    @Option(names = "--nginx", defaultValue = "nginx", description = "nginx executable (default ${DEFAULT-VALUE}).")
    String nginx;

    @Option(names = "--nginx-module", defaultValue = "/usr/lib/nginx/modules/ngx_stream_module.so",
            description = "nginx's dynamic stream module (default ${DEFAULT-VALUE}).")
    Path nginxModule;

    @Option(names = "--work", defaultValue = "target/bench", description = "Configs, logs, nginx prefixes and results (default ${DEFAULT-VALUE}).")
    Path work;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<String> keys = paths.stream().distinct().toList();
        for (String key : keys) {
            if (!ALL_PATHS.contains(key)) {
                throw new IllegalArgumentException("--paths " + key + ": expected some of " + String.join(",", ALL_PATHS));
            }
        }
        if (parallel < 1 || parallel > 64 || (baselineParallel != null && (baselineParallel < 1 || baselineParallel > 64))) {
            throw new IllegalArgumentException("--parallel, --baseline-parallel: expected 1..64");
        }
        if (recvBuf != null && (recvBuf < 4096 || recvBuf > (1 << 30))) {
            throw new IllegalArgumentException("--recv-buf " + recvBuf + ": expected 4096..1073741824 bytes");
        }
        if (floodRecvBuf != null && (floodRecvBuf < 4096 || floodRecvBuf > (1 << 30))) {
            throw new IllegalArgumentException("--flood-recv-buf " + floodRecvBuf + ": expected 4096..1073741824 bytes");
        }
        if (rounds < 1 || rounds > 20) {
            throw new IllegalArgumentException("--rounds " + rounds + ": expected 1..20");
        }
        if (!(duration >= 0.1 && duration <= 60) || !(warmup >= 0 && warmup <= 60)) {
            throw new IllegalArgumentException("--duration " + duration + ", --warmup " + warmup
                    + ": expected 0.1..60 and 0..60 seconds");
        }
        Duration measured = LoadTool.seconds(duration);
        Duration warm = LoadTool.seconds(warmup);
        List<CompareShape> shapes = new ArrayList<>();
        for (String name : shapeNames.stream().distinct().toList()) {
            try {
                shapes.add(CompareShape.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--shapes " + name + ": expected some of closed,flood,rate,one_at_a_time");
            }
        }
        long perRunMillis = warm.plus(measured).toMillis() + 400;
        Files.createDirectories(work);
        if (!client.equals("jvm") && !client.equals("native")) {
            throw new IllegalArgumentException("--client " + client + ": expected jvm or native");
        }
        Path floodClient = client.equals("native") && shapes.contains(CompareShape.FLOOD)
                ? NativeFlood.build(work) : null;

        List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
        Thread cleanup = new Thread(() -> closeAll(started), "compare-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            String loadBefore = loadAverage();
            ChildProcess echo = startEcho(Duration.ofMillis(perRunMillis * rounds * shapes.size() * keys.size() * 2)
                    .plusMinutes(5));
            started.add(echo);
            List<EchoServer.Listener> backends = echoListeners(echo);

            List<ComparePath> opened = new ArrayList<>();
            for (String key : keys) {
                ComparePath path = open(key, backends);
                started.add(path);
                opened.add(path);
                System.err.println(path.key() + ": " + path.unavailable().map(r -> "n/a, " + r)
                        .orElse("serving on " + path.targets().stream().map(Addresses::format).toList()));
            }
            List<ComparePath> live = opened.stream().filter(p -> p.unavailable().isEmpty()).toList();
            System.err.printf(Locale.ROOT, "%d rounds x %d shapes x %d paths, about %d s%n",
                    rounds, shapes.size(), live.size(), perRunMillis * rounds * shapes.size() * live.size() / 1000);

            Instant start = Instant.now();
            List<CompareTable.Run> runs = measure(live, shapes, echo.pid(), warm, measured, floodClient);
            long seconds = Duration.between(start, Instant.now()).toSeconds();

            List<CompareTable.Row> rows = opened.stream()
                    .map(p -> new CompareTable.Row(p.key(), p.label(), p.unavailable())).toList();
            String report = preface(measured, warm, seconds, loadBefore)
                    + new CompareTable(rows, shapes, runs, Optional.of(echo.pid())).markdown();
            Files.writeString(work.resolve("compare.md"), report, StandardCharsets.UTF_8);
            Files.writeString(work.resolve("compare.json"), Report.json(runs.stream().map(JsonRun::of).toList()),
                    StandardCharsets.UTF_8);
            System.out.print(report);
            System.err.println("written: " + work.resolve("compare.md") + ", " + work.resolve("compare.json"));
            return 0;
        } finally {
            closeAll(started);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is already running and does the same.
            }
        }
    }

    /**
     * Every round runs every shape through every path, each round starting with another path.
     * {@code floodClient}: the native client of the flood, or null for the JVM's.
     */
    private List<CompareTable.Run> measure(List<ComparePath> live, List<CompareShape> shapes, long echoPid,
                                           Duration warm, Duration measured, Path floodClient)
            throws IOException, InterruptedException {
        List<CompareTable.Run> runs = new ArrayList<>();
        int total = rounds * shapes.size() * live.size();
        for (int round = 1; round <= rounds; round++) {
            for (CompareShape shape : shapes) {
                for (int i = 0; i < live.size(); i++) {
                    ComparePath path = live.get((i + round - 1) % live.size());
                    List<Long> pids = new ArrayList<>();
                    path.pid().ifPresent(pids::add);
                    pids.add(echoPid);
                    // The proxy's sockets, or the backends' when there is no proxy.
                    SocketDropCounter drops = SocketDropCounter.ofTree(path.pid().orElse(echoPid));
                    Map<Long, Long> dropsBefore = drops.read();
                    // In a flood, where the round trip is the queues: which side's they were.
                    QueueCensus census = shape == CompareShape.FLOOD
                            ? QueueCensus.start(path.pid(), echoPid, ProcessHandle.current().pid(), warm, measured)
                            : null;
                    LoadResult result;
                    try {
                        LoadSpec spec = shape.spec(path.targets(), warm, measured, pids);
                        result = shape == CompareShape.FLOOD && floodClient != null
                                ? NativeFlood.run(floodClient, spec, census::client)
                                : LoadRun.run(spec);
                    } finally {
                        if (census != null) {
                            census.close();
                        }
                    }
                    long overflow = SocketDropCounter.since(dropsBefore, drops.read());
                    runs.add(new CompareTable.Run(path.key(), shape, round, result, path.pid(), overflow,
                            census == null ? Optional.empty() : census.result()));
                    System.err.printf(Locale.ROOT,
                            "[%2d/%d] round %d  %-13s %-9s sent %6s/s  replies %6s/s  lost %5.1f%%  "
                                    + "p50 %7.1f us  p99 %8.1f us%n",
                            runs.size(), total, round, shape.name().toLowerCase(Locale.ROOT), path.key(),
                            CompareTable.rate(result.sentPerSecond()), CompareTable.rate(result.repliesPerSecond()),
                            result.lossPercent(), result.latencyMicros().p50(), result.latencyMicros().p99());
                }
            }
        }
        return runs;
    }

    private ServerTuning tuning() {
        return new ServerTuning(recvBuf, floodRecvBuf);
    }

    private ComparePath open(String key, List<EchoServer.Listener> backends) throws IOException, InterruptedException {
        return switch (key) {
            case "direct" -> ComparePath.direct(backends);
            case "stevedore" -> ComparePath.stevedore(stevedore, parallel, tuning(), backends, work);
            case "stevedore-proxy" -> ComparePath.stevedoreProxy(stevedore, parallel, tuning(), backends, work);
            case "baseline" -> ComparePath.baseline(baseline, baselineParallel == null ? parallel : baselineParallel,
                    tuning(), backends, work);
            case "nginx-1w" -> ComparePath.nginx(nginx, nginxModule, 1, backends, work, nginxVersion());
            case "nginx-2w" -> ComparePath.nginx(nginx, nginxModule, 2, backends, work, nginxVersion());
            default -> throw new IllegalArgumentException("unknown path " + key);
        };
    }

    /**
     * The echo backends run in a JVM of their own, so their CPU and pauses are not the client's.
     * Netty pools its receive batches (128 KiB) only when it does not think memory is short, which
     * with 512 MiB of heap it would: each read would then zero a fresh buffer, and the echo would
     * take CPU every path pays for alike.
     */
    private ChildProcess startEcho(Duration bound) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseParallelGC", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled",
                "-Dio.netty.allocator.lowMemory=false",
                "-cp", System.getProperty("java.class.path"),
                LoadTool.class.getName(), "echo", "--duration", Long.toString(bound.toSeconds()),
                "--threads", Integer.toString(echoThreads)));
        for (String ip : BACKEND_IPS.split(",")) {
            command.addAll(List.of("--listen", ip + ":0"));
        }
        return ChildProcess.start("echo", command, work.resolve("echo.log"));
    }

    private static List<EchoServer.Listener> echoListeners(ChildProcess echo) throws InterruptedException {
        String ready = echo.awaitLine(line -> line.startsWith("ready "), ComparePath.START_TIMEOUT)
                .orElseThrow(() -> new IllegalStateException("echo backends did not start: " + echo.failure()));
        return Arrays.stream(ready.substring("ready ".length()).split(" ")).map(item -> {
            int eq = item.lastIndexOf('=');
            InetSocketAddress address = Loopback.socketAddress(item.substring(0, eq));
            return new EchoServer.Listener(address, item.substring(eq + 1));
        }).toList();
    }

    private String nginxVersion() {
        try {
            Process process = new ProcessBuilder(ComparePath.onPath(nginx).map(Path::toString).orElse(nginx), "-v")
                    .redirectErrorStream(true).start();
            try (InputStream in = process.getInputStream()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                process.waitFor(5, TimeUnit.SECONDS);
                int slash = text.lastIndexOf("nginx/");
                return slash < 0 ? "nginx" : "nginx " + text.substring(slash + "nginx/".length());
            }
        } catch (IOException e) {
            return "nginx";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "nginx";
        }
    }

    private String preface(Duration measured, Duration warm, long seconds, String loadBefore) {
        return String.format(Locale.ROOT,
                "Measured %s on %d cores (Linux %s, Java %s), all on loopback: echo backends on %s (one JVM, "
                        + "%s), %s. %d rounds; each run %.1f s of warm-up, "
                        + "then %.1f s measured; %d s in all. Medians (min–max) of the rounds. Load average "
                        + "before: %s, after: %s.%n%n",
                Instant.now().truncatedTo(ChronoUnit.MINUTES), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.version"), System.getProperty("java.version"), BACKEND_IPS,
                echoThreads == 1 ? "one thread" : echoThreads + " threads",
                client.equals("native") ? "the flood's load client udpflood (native, C), the others' the comparing JVM"
                        : "the load client in the comparing JVM", rounds, warm.toMillis() / 1000.0, measured.toMillis() / 1000.0, seconds, loadBefore, loadAverage());
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Called by the run when it ends and by the shutdown hook on Ctrl-C, whichever comes first. */
    private static void closeAll(List<AutoCloseable> started) {
        synchronized (started) {
            for (int i = started.size() - 1; i >= 0; i--) {
                try {
                    started.get(i).close();
                } catch (Exception e) {
                    System.err.println("cannot stop " + started.get(i) + ": " + e.getMessage());
                }
            }
            started.clear();
        }
    }

    /** A run as written to compare.json. */
    record JsonRun(String path, String shape, int round, Long proxyPid, long overflow, QueueCensus.Queued queued,
            LoadResult result) {
        static JsonRun of(CompareTable.Run run) {
            return new JsonRun(run.path(), run.shape().name().toLowerCase(Locale.ROOT), run.round(),
                    run.proxyPid().orElse(null), run.overflow(), run.queued().orElse(null), run.result());
        }
    }
}
