package io.stevedore.cli;

import static io.stevedore.admin.AdminHttp.get;
import static io.stevedore.admin.AdminHttp.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.stevedore.config.Addresses;
import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.Fifo;
import io.stevedore.testing.Poll;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stevedore -c FILE} as a process, driven by signals the way an operator or systemd drives
 * it: SIGHUP reloads the file, SIGTERM and SIGINT stop it with exit code 0 within 2 s, whatever
 * the file has become.
 */
class SignalsTest {

    private static final long START_SECONDS = 30;
    private static final Pattern RUNNING = Pattern.compile(
            "running, pid \\d+: listening on (\\S+):(\\d+) .* admin endpoint http://(\\S+):(\\d+)/");

    @TempDir
    Path dir;

    /** The daemon in a child JVM; its log (stderr) is collected line by line. */
    private static final class Child implements AutoCloseable {

        final Process process;
        final List<String> log = new CopyOnWriteArrayList<>();
        private final Thread reader;
        InetSocketAddress listen;
        InetSocketAddress admin;

        Child(Path config) throws IOException {
            process = new ProcessBuilder(ChildProcess.javaCommand(Main.class, "-c", config.toString()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            reader = new Thread(() -> {
                try (BufferedReader err = new BufferedReader(
                        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = err.readLine()) != null) {
                        log.add(line);
                    }
                } catch (IOException e) {
                    // the child was killed at the end of a failed test
                }
            }, "child-stderr");
            reader.setDaemon(true);
            reader.start();
        }

        /** Waits for the startup line and reads the addresses from it. */
        Child running() {
            String line = awaitLine("running, pid ");
            Matcher m = RUNNING.matcher(line);
            assertThat(m.find()).as("startup line: %s", line).isTrue();
            listen = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
            admin = new InetSocketAddress(m.group(3), Integer.parseInt(m.group(4)));
            return this;
        }

        String awaitLine(String containing) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
            while (System.nanoTime() < deadline) {
                for (String line : log) {
                    if (line.contains(containing)) {
                        return line;
                    }
                }
                if (!process.isAlive() && log.stream().noneMatch(l -> l.contains(containing))) {
                    fail("stevedore exited (" + process.exitValue() + ") before logging \"" + containing + "\":\n"
                            + String.join("\n", log));
                }
                sleep();
            }
            return fail("no log line with \"" + containing + "\" within " + START_SECONDS + " s:\n" + String.join("\n", log));
        }

        void signal(String name) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).as("kill -%s", name).isZero();
        }

        /** The exit code, which must come within {@code seconds}; then the whole log has been read. */
        int exitWithin(long seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                fail("stevedore still running " + seconds + " s after the signal:\n" + String.join("\n", log));
            }
            reader.join(TimeUnit.SECONDS.toMillis(START_SECONDS));
            return process.exitValue();
        }

        String wholeLog() {
            return String.join("\n", log);
        }

        private static void sleep() {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    @Test
    void sighupReloadsTheFileAndSigtermStopsWithExitCodeZeroWithinTwoSeconds() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3)) {
            Path file = Files.writeString(dir.resolve("stevedore.json"),
                    RunnerTest.config("127.0.0.1:0", "127.0.0.1:0", b2));
            try (Child child = new Child(file).running();
                    Client client = new Client(child.listen)) {
                assertThat(client.request(new byte[] {1}).backend()).isEqualTo(2);

                Files.writeString(file, RunnerTest.config("127.0.0.1:0", "127.0.0.1:0", b3));
                child.signal("HUP");
                Poll.until(Duration.ofSeconds(10), "127.0.0.3 in /status", () -> status(child).contains(Addresses.format(b3.address())));
                assertThat(client.request(new byte[] {2}).backend()).as("the same session, the new peer").isEqualTo(3);
                // The counter is taken after the plan is applied, a moment after /status shows it.
                Poll.until(Duration.ofSeconds(5), "one reload counted", () -> sample(page(child, "/metrics"),
                        "stevedore_config_reloads_total{result=\"ok\"}") == 1);

                // Not Process.destroy(): it sends SIGTERM too, but closes our end of the child's stderr.
                child.signal("TERM");
                assertThat(child.exitWithin(2)).isZero();
                assertThat(child.wholeLog()).contains("SIGTERM received", "stopped listening on", "Runner - stopped")
                        .doesNotContain("Exception", "\tat ");
            }
        }
    }

    @Test
    void sighupDrainsAPeerItsSessionStaysUntilIdleAndTheLogSaysWhenItHasDrained() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3)) {
            Path file = Files.writeString(dir.resolve("stevedore.json"), affinity(b2, b3, ""));
            try (Child child = new Child(file).running();
                    Client old = new Client(child.listen)) {
                int kept = old.request(new byte[] {1}).backend();
                EchoBackend draining = kept == 2 ? b2 : b3;
                String drainingAddress = Addresses.format(draining.address());

                Files.writeString(file, affinity(b2, b3, drainingAddress));
                child.signal("HUP");
                child.awaitLine("upstream pool peer " + drainingAddress + " drains: 1 live session(s)");
                assertThat(status(child)).contains("\"draining\" : true");
                assertThat(old.request(new byte[] {2}).backend()).as("the live session keeps its peer").isEqualTo(kept);
                for (int i = 0; i < 4; i++) {
                    try (Client fresh = new Client(child.listen)) {
                        assertThat(fresh.request(new byte[] {3}).backend()).as("new session %d", i).isNotEqualTo(kept);
                    }
                }
                assertThat(sample(get(child.admin, "/metrics").body(), "stevedore_peer_sessions{peer=\""
                        + drainingAddress + "\",upstream=\"pool\"}")).isEqualTo(1);

                child.awaitLine("upstream pool peer " + drainingAddress + " has drained");
                assertThat(sample(get(child.admin, "/metrics").body(), "stevedore_peer_sessions{peer=\""
                        + drainingAddress + "\",upstream=\"pool\"}")).isZero();
                child.signal("TERM");
                assertThat(child.exitWithin(2)).isZero();
            }
        }
    }

    /**
     * Two peers under {@code Affinity: session}; {@code draining} names the one that drains. Sessions
     * idle out after 5 s, time enough for a reload on a busy machine.
     */
    private static String affinity(EchoBackend a, EchoBackend b, String draining) {
        String peers = Stream.of(a, b).map(peer -> "{\"IP\": \"" + peer.address().getHostString() + "\", \"Port\": "
                + peer.address().getPort() + ", \"Drain\": " + Addresses.format(peer.address()).equals(draining) + "}")
                .collect(Collectors.joining(", "));
        return """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                  "Session": {"TimeoutSec": 5, "RecycleIntervalSec": 1},
                  "Upload": {
                    "DefaultUpstream": "pool",
                    "Upstreams": [{"Name": "pool", "Type": "rr", "Affinity": "session", "Peers": [%s]}]
                  },
                  "Admin": {"ListenAddr": "127.0.0.1:0"}
                }
                """.formatted(peers);
    }

    @Test
    void anInvalidFileOnSighupIsLoggedAndTrafficGoesOnThenSigintStops() throws Exception {
        breakTheFileReloadThenStop(file -> Files.writeString(file,
                "{\"Session\": {\"TimeoutSec\": 0}, \"Upload\": {\"Upstreams\": []}}"), "INT",
                "Session.TimeoutSec: 0 is out of range; expected an integer of at least 1",
                "Upload.Upstreams: [] is empty; expected at least one upstream");
    }

    @Test
    void aFifoInPlaceOfTheFileOnSighupIsARejectedReloadAndSigtermStillStopsWithinTwoSeconds() throws Exception {
        breakTheFileReloadThenStop(file -> {
            Files.delete(file);
            Fifo.make(file);
        }, "TERM", "stevedore.json: is a FIFO (named pipe), not a regular file; expected a JSON configuration file");
    }

    /** What a test does to the running daemon's file. */
    private interface Breaking {
        void apply(Path file) throws Exception;
    }

    /**
     * Starts the daemon on a valid file, breaks the file, sends SIGHUP: the reload fails with
     * {@code errors} (each logged, the last part of its line), traffic goes on, and a second SIGHUP
     * followed by {@code stopSignal} still ends the process with exit code 0 within 2 s.
     */
    private void breakTheFileReloadThenStop(Breaking breaking, String stopSignal, String... errors) throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2)) {
            Path file = Files.writeString(dir.resolve("stevedore.json"),
                    RunnerTest.config("127.0.0.1:0", "127.0.0.1:0", b2));
            try (Child child = new Child(file).running();
                    Client client = new Client(child.listen)) {
                breaking.apply(file);
                child.signal("HUP");

                child.awaitLine("reload failed: " + file + " has " + errors.length
                        + " error(s); the running configuration stays");
                for (String error : errors) {
                    assertThat(child.log).anySatisfy(line -> assertThat(line).contains("config: ").endsWith(error));
                }
                assertThat(client.request(new byte[] {1}).backend()).isEqualTo(2);
                assertThat(sample(page(child, "/metrics"),
                        "stevedore_config_reloads_total{result=\"failed\"}")).isEqualTo(1);

                child.signal("HUP");
                child.signal(stopSignal);
                assertThat(child.exitWithin(2)).isZero();
                assertThat(child.wholeLog()).contains("SIG" + stopSignal + " received").doesNotContain("\tat ");
            }
        }
    }

    @Test
    void sigtermDuringStartUpStopsWithExitCodeZeroAndSaysSo() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2)) {
            Path file = Files.writeString(dir.resolve("stevedore.json"),
                    RunnerTest.config("127.0.0.1:0", "127.0.0.1:0", b2));
            try (Child child = new Child(file)) {
                // Logged once the file is read, before a socket is bound: the JVM's own SIGTERM
                // action (exit 143, nothing logged) must be gone by then.
                child.awaitLine("starting with");
                child.signal("TERM");

                // The watchdog halts 1.5 s after the signal; a JVM still warming up is given a little more.
                assertThat(child.exitWithin(3)).as(child.wholeLog()).isZero();
                assertThat(child.wholeLog()).contains("SIGTERM received").doesNotContain("Exception", "\tat ");
            }
        }
    }

    @Test
    void aListenAddressInUseExitsWithCodeOneAndOneLine() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            Path file = Files.writeString(dir.resolve("stevedore.json"), RunnerTest.config(listen, "127.0.0.1:0", b2));
            try (Child child = new Child(file)) {
                assertThat(child.exitWithin(START_SECONDS)).isEqualTo(1);
                assertThat(child.wholeLog()).contains("cannot listen on " + listen + ": address already in use; not starting")
                        .doesNotContain("Exception", "\tat ");
            }
        }
    }

    private static String status(Child child) {
        return page(child, "/status");
    }

    private static String page(Child child, String path) {
        try {
            return get(child.admin, path).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
