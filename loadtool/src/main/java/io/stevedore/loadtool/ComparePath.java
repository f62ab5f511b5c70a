package io.stevedore.loadtool;

import io.stevedore.config.Addresses;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One way from the load client to the echo backends: straight to them, or through a proxy the
 * comparison started and checked. A path whose proxy could not be started is kept, with the
 * reason, so the report shows "n/a" rather than leaving the row out.
 */
final class ComparePath implements AutoCloseable {

    /** How long a proxy gets to start answering (a JVM compiles its way up; nginx takes a blink). */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final String key;
    private final String label;
    private final List<InetSocketAddress> targets;
    private final ChildProcess process;
    private final String unavailable;

    private ComparePath(String key, String label, List<InetSocketAddress> targets, ChildProcess process,
                        String unavailable) {
        this.key = key;
        this.label = label;
        this.targets = targets;
        this.process = process;
        this.unavailable = unavailable;
    }

    /** Short name for progress lines and JSON: {@code direct}, {@code stevedore}, {@code nginx-1w}... */
    String key() {
        return key;
    }

    /** The row heading in the report. */
    String label() {
        return label;
    }

    List<InetSocketAddress> targets() {
        return targets;
    }

    Optional<String> unavailable() {
        return Optional.ofNullable(unavailable);
    }

    /** The proxy's process, whose CPU (with its children's) is measured; empty for the direct path. */
    Optional<Long> pid() {
        return process == null ? Optional.empty() : Optional.of(process.pid());
    }

    /** The client sends to the three backends itself, conversation c to backend c mod 3. */
    static ComparePath direct(List<EchoServer.Listener> backends) {
        return new ComparePath("direct", "direct, no proxy",
                backends.stream().map(EchoServer.Listener::address).toList(), null, null);
    }

    /**
     * The daemon from {@code launcher -c CONFIG} with consistent hashing on bytes 0..4 over the
     * three backends and two listening sockets.
     */
    static ComparePath stevedore(Path launcher, int parallel, ServerTuning tuning, List<EchoServer.Listener> backends,
            Path work) throws IOException {
        return stevedore("stevedore", "Stevedore, chash 0:4, ListenParallel " + parallel + tuning.label(),
                launcher, parallel, tuning, backends, work, false);
    }

    /**
     * The same daemon with {@code "ProxyProtocol": "v2"} on the upstream, beside the path without:
     * the cost of writing a header before every datagram (the echo answers without it).
     */
    static ComparePath stevedoreProxy(Path launcher, int parallel, ServerTuning tuning,
            List<EchoServer.Listener> backends, Path work) throws IOException {
        return stevedore("stevedore-proxy", "Stevedore, chash 0:4, ProxyProtocol v2, ListenParallel " + parallel
                + tuning.label(), launcher, parallel, tuning, backends, work, true);
    }

    /**
     * A second Stevedore build (another worktree's or an older package's launcher) measured in the
     * same run, so a change to the data plane is judged against the build before it, alternating.
     */
    static ComparePath baseline(Path launcher, int parallel, ServerTuning tuning, List<EchoServer.Listener> backends,
            Path work) throws IOException {
        return stevedore("baseline", "Stevedore baseline (" + launcher + ", ListenParallel " + parallel
                + tuning.label() + ")", launcher, parallel, tuning, backends, work, false);
    }

    private static ComparePath stevedore(String key, String label, Path launcher, int parallel, ServerTuning tuning,
                                         List<EchoServer.Listener> backends, Path work, boolean proxyProtocol)
            throws IOException {
        if (!Files.isExecutable(launcher)) {
            return new ComparePath(key, label, List.of(), null, launcher + " not found");
        }
        InetSocketAddress listen = freePort();
        Path config = work.resolve(key + ".json");
        Files.createDirectories(work);
        Files.writeString(config, stevedoreConfig(listen, parallel, tuning, backends, proxyProtocol), StandardCharsets.UTF_8);
        ChildProcess daemon = ChildProcess.start(key,
                List.of(launcher.toString(), "-c", config.toString()), work.resolve(key + ".log"));
        return started(key, label, listen, daemon);
    }

    /** nginx's stream proxy, run in the foreground from a private prefix under {@code work}. */
    static ComparePath nginx(String executable, Path module, int workers, List<EchoServer.Listener> backends,
                             Path work, String version) throws IOException {
        String key = "nginx-" + workers + "w";
        String label = workers == 1
                ? version + " stream, `hash $remote_addr consistent`, 1 worker"
                : "nginx, " + workers + " workers, reuseport";
        Optional<Path> binary = onPath(executable);
        if (binary.isEmpty()) {
            return new ComparePath(key, label, List.of(), null, executable + " not found"
                    + " (Debian: apt-get install nginx libnginx-mod-stream)");
        }
        if (!Files.isReadable(module)) {
            return new ComparePath(key, label, List.of(), null, module + " not found"
                    + " (Debian: apt-get install libnginx-mod-stream)");
        }
        Path prefix = work.resolve(key).toAbsolutePath();
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("conf"));
        InetSocketAddress listen = freePort();
        Path conf = prefix.resolve("conf/nginx.conf");
        Files.writeString(conf, nginxConfig(module, workers, prefix, listen, backends), StandardCharsets.UTF_8);
        ChildProcess nginx = ChildProcess.start(key, List.of(binary.get().toString(),
                "-p", prefix + "/", "-c", conf.toString(), "-e", prefix.resolve("logs/error.log").toString()),
                prefix.resolve("logs/stdout.log"));
        return started(key, label, listen, nginx);
    }

    private static ComparePath started(String key, String label, InetSocketAddress listen, ChildProcess process)
            throws IOException {
        if (Probe.answers(listen, START_TIMEOUT, process::isAlive)) {
            return new ComparePath(key, label, List.of(listen), process, null);
        }
        String reason = process.failure();
        process.close();
        return new ComparePath(key, label, List.of(), null, reason);
    }

    /** {@code tuning}: the receive buffers of its {@code Server} section. */
    static String stevedoreConfig(InetSocketAddress listen, int parallel, ServerTuning tuning,
                                  List<EchoServer.Listener> backends, boolean proxyProtocol) {
        String peers = backends.stream()
                .map(b -> String.format("        { \"IP\": \"%s\", \"Port\": %d }",
                        b.address().getAddress().getHostAddress(), b.address().getPort()))
                .collect(Collectors.joining(",\n"));
        return """
                {
                  // Written by stevedore-load compare: the echo backends behind one chash upstream.
                  "Server": { "ListenAddr": "%s", "ListenParallel": %d%s },
                  "Upload": {
                    "DefaultUpstream": "echo",
                    "Upstreams": [ {
                      "Name": "echo",
                      "Type": "chash",
                      "KeyBytes": "0:4",%s
                      "Peers": [
                %s
                      ]
                    } ]
                  },
                  "Log": { "Level": "warn" }
                }
                """.formatted(Addresses.format(listen), parallel,
                tuning.json(), proxyProtocol ? "\n          \"ProxyProtocol\": \"v2\"," : "",
                peers);
    }

    /**
     * A fair UDP proxy for the echo traffic: no {@code proxy_responses}, so a client socket is one
     * session carrying any number of datagrams and replies, like a Stevedore session; a
     * {@code proxy_timeout} of 30 s, Stevedore's default session timeout; room for the sessions
     * the rounds leave behind until they time out.
     */
    static String nginxConfig(Path module, int workers, Path prefix, InetSocketAddress listen,
                              List<EchoServer.Listener> backends) {
        String servers = backends.stream()
                .map(b -> "            server " + Addresses.format(b.address()) + ";")
                .collect(Collectors.joining("\n"));
        return """
                # Written by stevedore-load compare.
                load_module %s;
                daemon off;
                master_process on;
                worker_processes %d;
                worker_rlimit_nofile 65536;
                pid %s;
                error_log %s warn;
                events {
                    worker_connections 16384;
                }
                stream {
                    upstream echo {
                        hash $remote_addr consistent;
                %s
                    }
                    server {
                        listen %s udp%s;
                        proxy_pass echo;
                        proxy_timeout 30s;
                    }
                }
                """.formatted(module, workers, prefix.resolve("logs/nginx.pid"), prefix.resolve("logs/error.log"),
                servers, Addresses.format(listen), workers > 1 ? " reuseport" : "");
    }

    /** A UDP port on 127.0.0.1 that nothing uses at this moment. */
    private static InetSocketAddress freePort() throws IOException {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(Loopback.address("127.0.0.1"), 0))) {
            return new InetSocketAddress(Loopback.address("127.0.0.1"), probe.getLocalPort());
        }
    }

    static Optional<Path> onPath(String executable) {
        if (executable.contains("/")) {
            Path path = Path.of(executable);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, executable);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }
}
