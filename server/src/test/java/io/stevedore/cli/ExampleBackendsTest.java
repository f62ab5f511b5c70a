package io.stevedore.cli;

import static io.stevedore.admin.AdminHttp.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.Poll;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's way to try {@code etc/stevedore.json}: {@code demo --backends}, the daemon on the
 * same file, and the README's bash one-liner. The file is the shipped one with its ports moved to
 * free ones and its health checks quickened, so the test neither collides with a running example
 * nor waits 5 s per probe; the commands are the README's, with the same substitutions.
 */
class ExampleBackendsTest {

    @TempDir
    Path dir;

    /** A port free on 127.0.0.1..6 right now, below the kernel's ephemeral range. */
    private static int freePort() throws Exception {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 32000);
            boolean free = true;
            for (int ip = 1; ip <= 6 && free; ip++) {
                try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0." + ip, port))) {
                    // bound: free on this address
                } catch (java.net.BindException e) {
                    free = false;
                }
            }
            if (free) {
                return port;
            }
        }
        throw new IllegalStateException("no free port");
    }

    private static String readmeLine(String starting) throws Exception {
        return Files.readAllLines(Path.of("README.md")).stream()
                .filter(l -> l.startsWith(starting) && (!l.contains("#") || l.contains("terminal"))).findFirst()
                .orElseThrow(() -> new AssertionError("no README line starting " + starting));
    }

    @Test
    void theExampleRunsWithItsPeersUpAndTheReadmesOneLinerReachesThem() throws Exception {
        assertThat(readmeLine("bin/stevedore demo --backends ")).contains("terminal 1");
        assertThat(readmeLine("bin/stevedore -c etc/stevedore.json ")).contains("terminal 2");
        String oneLiner = readmeLine("for i in 1 2 3 4 5 6; do printf ");

        int listen = freePort();
        int admin = freePort();
        int kcp = freePort();
        int v2 = freePort();
        String example = Files.readString(Path.of("etc/stevedore.json"));
        assertThat(example).contains("\"127.0.0.1:2614\"", "\"127.0.0.1:2615\"", "\"Port\": 4001", "\"Port\": 4002",
                "\"HeartbeatIntervalSec\": 5", "\"HeartbeatTimeoutSec\": 3");
        Path file = Files.writeString(dir.resolve("stevedore.json"), example
                .replace("127.0.0.1:2614", "127.0.0.1:" + listen).replace("127.0.0.1:2615", "127.0.0.1:" + admin)
                .replace("\"Port\": 4001", "\"Port\": " + kcp).replace("\"Port\": 4002", "\"Port\": " + v2)
                // Probes every 3 s, each with the example's own 3 s to answer: a loaded machine is slow, not down.
                .replace("\"HeartbeatIntervalSec\": 5", "\"HeartbeatIntervalSec\": 3"));

        try (ChildProcess backends = ChildProcess.start("backends",
                        ChildProcess.javaCommand(Main.class, "demo", "--backends", "-c", file.toString()), null)) {
            Poll.until(Duration.ofSeconds(30), "the backends", () -> backends.output().contains("Ctrl-C stops them"),
                    backends::describe);
            assertThat(backends.output()).contains("backend for upstream kcp, peer 127.0.0.4:" + kcp + " (backup) listening",
                    "backend for upstream v2, peer 127.0.0.6:" + v2 + " listening");

            try (ChildProcess daemon = ChildProcess.start("stevedore",
                    ChildProcess.javaCommand(Main.class, "-c", file.toString()), null)) {
                Poll.until(Duration.ofSeconds(30), "the daemon", () -> daemon.output().contains("running, pid"),
                        daemon::describe);
                InetSocketAddress adminAddress = new InetSocketAddress("127.0.0.1", admin);
                // Three probe rounds: a peer without a backend would be down by then.
                Poll.until(Duration.ofSeconds(30), "three probes of each peer",
                        () -> probes(adminAddress) >= 15, daemon::describe);
                assertThat(daemon.output()).doesNotContain("-> down");
                assertThat(daemon.output().lines().filter(l -> l.contains("MaxSessions"))).as("limits").hasSizeLessThan(2);

                ChildProcess.Finished sent = ChildProcess.run(dir, Map.of(), Duration.ofSeconds(10),
                        List.of("bash", "-c", oneLiner.replace("/2614", "/" + listen)));
                assertThat(sent.exitCode()).as(sent.err()).isZero();

                Poll.until(Duration.ofSeconds(10), "twelve datagrams at the backends",
                        () -> backends.output().lines().filter(l -> l.contains(" bytes from ")).count() == 12,
                        backends::describe);
                String got = backends.output();
                assertThat(got.lines().filter(l -> l.startsWith("upstream kcp, peer 127.0.0.") && l.contains("hello")))
                        .hasSize(6).noneMatch(l -> l.contains("(backup)"));
                assertThat(got.lines().filter(l -> l.startsWith("upstream v2, peer 127.0.0.") && l.contains("\"ver2\\x00\\x02 hi\"")))
                        .hasSize(6);
                assertThat(get(adminAddress, "/metrics").body().lines().filter(l -> l.startsWith("stevedore_peer_up{")))
                        .as("every peer up").hasSize(5).allMatch(l -> l.endsWith(" 1.0"));
            }
        }
    }

    private static double probes(InetSocketAddress admin) {
        try {
            String metrics = get(admin, "/metrics").body();
            return metrics.lines().filter(l -> l.startsWith("stevedore_health_probes_total{") && l.contains("result=\"success\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (Exception e) {
            return 0;
        }
    }
}
