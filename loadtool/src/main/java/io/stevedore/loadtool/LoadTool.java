package io.stevedore.loadtool;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.stevedore.config.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code stevedore-load}: the echo backend and the load client, as commands. */
@Command(name = "stevedore-load", mixinStandardHelpOptions = true,
        description = "UDP load tool for loopback benchmarks: echo backends and a load client.",
        subcommands = {LoadTool.Echo.class, LoadTool.Load.class, Compare.class, Sessions.class})
public final class LoadTool {

    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    private LoadTool() {
    }

    public static void main(String[] args) {
        // Netty's start-up chatter at debug would bury the report.
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new LoadTool());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException) {
                commandLine.getErr().println(commandLine.getCommandName() + ": " + e.getMessage());
                return EXIT_USAGE;
            }
            commandLine.getErr().println(commandLine.getCommandName() + " failed: " + e.getMessage());
            return EXIT_FAILED;
        });
        return cli;
    }

    static Duration seconds(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    @Command(name = "echo", mixinStandardHelpOptions = true,
            description = {"Echo backends: each --listen address replies to every datagram's sender with the "
                    + "datagram, its bytes 4..8 replaced by the listener's id.",
                    "Prints one line \"ready ADDR=ID ...\" once every address is bound."})
    static final class Echo implements Callable<Integer> {
        @Option(names = "--listen", required = true, paramLabel = "IP:PORT",
                description = "Loopback address to answer on; repeat for several backends in one process.")
        List<String> listen;

        @Option(names = "--id", paramLabel = "ID",
                description = "Id (1 to 4 ASCII characters) of each --listen in the same order; default b1, b2, ...")
        List<String> ids = new ArrayList<>();

        @Option(names = "--threads", defaultValue = "1", description = "Event loop threads (default ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--max-size", defaultValue = "" + EchoServer.DEFAULT_MAX_DATAGRAM,
                description = "Largest datagram echoed whole, bytes (default ${DEFAULT-VALUE}).")
        int maxSize;

        @Option(names = "--duration", defaultValue = "3600",
                description = "Seconds after which the echo stops by itself (default ${DEFAULT-VALUE}).")
        double duration;

        @Override
        public Integer call() throws InterruptedException {
            if (ids.size() > listen.size()) {
                throw new IllegalArgumentException("more --id than --listen");
            }
            List<EchoServer.Listener> listeners = new ArrayList<>();
            for (int i = 0; i < listen.size(); i++) {
                String id = i < ids.size() ? ids.get(i) : "b" + (i + 1);
                listeners.add(new EchoServer.Listener(Loopback.socketAddress(listen.get(i)), id));
            }
            if (!(duration > 0)) {
                throw new IllegalArgumentException("--duration must be positive");
            }
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(1);
            // On SIGTERM the hook lets the main thread close the sockets and print the counts
            // before the JVM goes.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.countDown();
                try {
                    stopped.await(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "echo-stop"));
            try (EchoServer echo = EchoServer.start(listeners, threads, maxSize)) {
                StringBuilder ready = new StringBuilder("ready");
                for (EchoServer.Listener l : echo.listeners()) {
                    ready.append(' ').append(Addresses.format(l.address())).append('=').append(l.id());
                }
                System.out.println(ready);
                System.out.flush();
                stop.await(seconds(duration).toNanos(), TimeUnit.NANOSECONDS);
                System.out.printf("echo: %d echoed, %d dropped%n", echo.echoed(), echo.dropped());
            } finally {
                stopped.countDown();
            }
            return 0;
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = {"Bounded UDP load against loopback targets, then a report: sent, received, lost, "
                    + "replies/s, latency percentiles, the share of each backend and the conversations "
                    + "answered by more than one backend.",
                    "Datagram: bytes 0..4 conversation id, 4..8 backend tag (0; the echo fills it), "
                    + "8..16 send time, then padding."})
    static final class Load implements Callable<Integer> {
        @Option(names = "--target", required = true, paramLabel = "IP:PORT",
                description = "Where to send; repeat to split conversations over several targets (conversation c "
                        + "goes to target c mod n).")
        List<String> targets;

        @Option(names = "--sockets", defaultValue = "1",
                description = "Client sockets, each its own source port (default ${DEFAULT-VALUE}).")
        int sockets;

        @Option(names = "--source-ips", paramLabel = "IPS",
                description = "Loopback source addresses for the sockets in turn: 127.0.0.10-127.0.0.20 or a list.")
        String sourceIps;

        @Option(names = "--convs", defaultValue = "1",
                description = "Conversations per socket, used in turn (default ${DEFAULT-VALUE}).")
        int convs;

        @Option(names = "--size", defaultValue = "64", description = "Datagram bytes, >= 16 (default ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--shape", defaultValue = "closed",
                description = "flood, rate or closed (default ${DEFAULT-VALUE}).")
        String shape;

        @Option(names = "--rate", defaultValue = "1000",
                description = "rate: datagrams per second over all sockets (default ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--window", defaultValue = "1",
                description = "closed: datagrams in flight per socket, 1..256 (default ${DEFAULT-VALUE}).")
        int window;

        @Option(names = "--duration", defaultValue = "5", description = "Measured seconds (default ${DEFAULT-VALUE}).")
        double duration;

        @Option(names = "--warmup", defaultValue = "1",
                description = "Seconds of load before measuring (default ${DEFAULT-VALUE}).")
        double warmup;

        @Option(names = "--max-datagrams", defaultValue = "100000000",
                description = "Stop sending after this many datagrams in all (default ${DEFAULT-VALUE}).")
        long maxDatagrams;

        @Option(names = "--batch", defaultValue = "32",
                description = "Datagrams per recvmmsg, and per socket per flood step (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--loss-timeout-ms", defaultValue = "200",
                description = "closed: a window slot with no reply for this long sends again (default ${DEFAULT-VALUE}).")
        long lossTimeoutMs;

        @Option(names = "--cpu-pid", paramLabel = "PID",
                description = "Report the CPU this process and its children use while measuring; repeatable.")
        List<Long> cpuPids = new ArrayList<>();

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        @Override
        public Integer call() throws InterruptedException {
            List<InetSocketAddress> to = targets.stream().map(Loopback::socketAddress).toList();
            List<InetAddress> from = sourceIps == null ? List.of() : Loopback.addresses(sourceIps);
            Shape parsed;
            try {
                parsed = Shape.valueOf(shape.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--shape " + shape + ": expected flood, rate or closed");
            }
            LoadSpec spec = LoadSpec.builder()
                    .targets(to).sockets(sockets).sourceIps(from).convsPerSocket(convs).size(size)
                    .shape(parsed).rate(rate).window(window)
                    .duration(seconds(duration)).warmup(seconds(warmup))
                    .maxDatagrams(maxDatagrams).batch(batch).lossTimeout(Duration.ofMillis(lossTimeoutMs))
                    .cpuPids(cpuPids)
                    .build();
            LoadResult result = LoadRun.run(spec);
            System.out.print(json ? Report.json(result) + "\n" : Report.text(result));
            return 0;
        }
    }
}
