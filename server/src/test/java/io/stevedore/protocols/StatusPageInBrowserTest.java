package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.admin.AdminServer;
import io.stevedore.admin.Observed;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ProbeTotals;
import io.stevedore.admin.Reloads;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.health.HealthCheckers;
import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: the status page {@code GET /} as a browser shows it. Debian's Chromium, headless,
 * loads the page from a running daemon with one peer up, one down, a backup and a draining one;
 * after the page's own script has read {@code /status}, its DOM names every peer with its state. A
 * screenshot is kept in {@code server/target/status-page.png}.
 */
class StatusPageInBrowserTest {

    @TempDir
    Path profile;

    @Test
    void theBrowserShowsEveryPeerWithItsState() throws Exception {
        String chromium = RequiredProgram.CHROMIUM.path();
        int deadPort;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0))) {
            deadPort = probe.getLocalPort();
        }
        try (EchoBackend up = EchoBackend.start("127.0.0.2", 2);
                EchoBackend backup = EchoBackend.start("127.0.0.4", 4);
                EchoBackend draining = EchoBackend.start("127.0.0.5", 5);
                Daemon daemon = ControlPlane.startDataPlane(ConfigLoader.parse("""
                        {
                          "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                          "Upload": {"DefaultUpstream": "game", "Upstreams": [{
                            "Name": "game", "Type": "chash", "KeyBytes": "0:4",
                            "HealthChecker": {"HeartbeatIntervalSec": 1, "HeartbeatTimeoutSec": 1},
                            "Peers": [{"IP": "127.0.0.2", "Port": %d}, {"IP": "127.0.0.3", "Port": %d},
                                      {"IP": "127.0.0.4", "Port": %d, "Backup": true},
                                      {"IP": "127.0.0.5", "Port": %d, "Drain": true}]}]}
                        }
                        """.formatted(up.address().getPort(), deadPort, backup.address().getPort(),
                                draining.address().getPort())).config());
                HealthCheckers health = HealthCheckers.start(daemon.upstreams(), Duration.ofMillis(50), daemon.peerStates());
                Client client = new Client(daemon.listenAddress())) {
            ProbeTotals probes = new ProbeTotals();
            probes.track(health, daemon.upstreams());
            try (AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
                    new Observed(daemon, probes, new Reloads(Instant.now()), "test"))) {
                Poll.until(Duration.ofSeconds(10), "the dead peer marked down",
                        () -> !daemon.upstreams().get(0).isUp(1));
                for (int i = 0; i < 20; i++) {
                    client.request(new byte[] {0, 0, 0, (byte) i});
                }
                String url = "http://" + Addresses.format(admin.address()) + "/";
                String dom = browser(chromium, "--dump-dom", url);
                assertThat(dom).contains("data-peer=\"" + Addresses.format(up.address()) + "\" data-state=\"up\"");
                assertThat(dom).contains("data-peer=\"127.0.0.3:" + deadPort + "\" data-state=\"down\"");
                assertThat(dom).contains("data-peer=\"" + Addresses.format(backup.address()) + "\" data-state=\"backup\"");
                assertThat(dom).contains("data-peer=\"" + Addresses.format(draining.address()) + "\" data-state=\"draining\"");
                assertThat(dom).as("no error reading /status").contains("<div id=\"error\"></div>");
                assertThat(dom).contains("version test");

                Path screenshot = Path.of("server/target/status-page.png").toAbsolutePath();
                Files.createDirectories(screenshot.getParent());
                Files.deleteIfExists(screenshot);
                browser(chromium, "--screenshot=" + screenshot, "--window-size=1280,900", url);
                assertThat(screenshot).isNotEmptyFile();
            }
        }
    }

    /** Runs headless Chromium on {@code url} with a fresh profile; what it printed on stdout. */
    private String browser(String chromium, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=5000"));
        command.addAll(List.of(args));
        ChildProcess.Finished run = ChildProcess.run(profile, java.util.Map.of(), Duration.ofSeconds(60), command);
        assertThat(run.exitCode()).as("chromium: %s", run.err()).isZero();
        return run.out();
    }
}
