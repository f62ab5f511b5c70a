package io.stevedore.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stevedore.config.ConfigLoader;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ProbeTotals;
import io.stevedore.health.HealthCheckers;
import io.stevedore.metrics.PeerKey;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 18: the Grafana dashboard shipped in the package ({@code etc/grafana/stevedore.json}) asks
 * only for metrics a running daemon exports: every metric name its queries use is in
 * {@code /metrics} of a daemon with a health-checked upstream.
 */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of("etc/grafana/stevedore.json");
    private static final Pattern METRIC = Pattern.compile("\\bstevedore_[a-z_]+");

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        JsonNode dashboard = new JsonMapper().readTree(DASHBOARD.toFile());
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.get("title").asText()).as("every panel has a title").isNotBlank();
            for (JsonNode target : panel.get("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    queried.add(m.group());
                }
            }
        }
        assertThat(queried).as("the dashboard's metrics").hasSizeGreaterThan(10);

        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(ConfigLoader.parse("""
                        {
                          "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                          "Upload": {"DefaultUpstream": "pool", "Upstreams": [{
                            "Name": "pool", "Type": "rr",
                            "HealthChecker": {"HeartbeatIntervalSec": 1, "HeartbeatTimeoutSec": 1},
                            "Peers": [{"IP": "127.0.0.2", "Port": %d}]}]}
                        }
                        """.formatted(a.address().getPort())).config());
                HealthCheckers health = HealthCheckers.start(daemon.upstreams(), Duration.ofMillis(50), daemon.peerStates());
                Client client = new Client(daemon.listenAddress())) {
            ProbeTotals probes = new ProbeTotals();
            probes.track(health, daemon.upstreams());
            try (AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
                    new Observed(daemon, probes, new Reloads(Instant.now()), "test"))) {
                client.request(new byte[] {1, 2, 3});
                Poll.until(Duration.ofSeconds(10), "a probe of the peer",
                        () -> probes.count(new PeerKey("pool", a.address()), true) > 0);
                String metrics = AdminHttp.get(admin.address(), "/metrics").body();
                Set<String> exported = new TreeSet<>();
                metrics.lines().filter(line -> !line.startsWith("#")).forEach(line -> {
                    Matcher m = METRIC.matcher(line);
                    if (m.lookingAt()) {
                        exported.add(m.group());
                    }
                });
                assertThat(exported).as("/metrics of a running daemon").containsAll(queried);
            }
        }
    }

    @Test
    void theDashboardIsSelfContained() throws Exception {
        JsonNode dashboard = new JsonMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.get("uid").asText()).isEqualTo("stevedore");
        assertThat(dashboard.toString()).as("no data source or plugin of somebody else's, no external URL")
                .doesNotContain("http://").doesNotContain("https://");
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.get("datasource").get("uid").asText()).isEqualTo("${datasource}");
        }
    }
}
