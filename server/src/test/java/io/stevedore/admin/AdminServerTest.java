package io.stevedore.admin;

import static io.stevedore.admin.AdminHttp.get;
import static io.stevedore.admin.AdminHttp.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ProbeTotals;
import io.stevedore.health.HealthCheckers;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.Metric;
import io.stevedore.metrics.PeerKey;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The admin endpoint over HTTP, in front of a daemon forwarding on loopback. */
class AdminServerTest {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
    /** Each configured second of the health checks lasts this long here. */
    private static final Duration SECOND = Duration.ofMillis(50);

    private static StevedoreConfig config(EchoBackend a, EchoBackend b) throws Exception {
        return config(a, b, false);
    }

    /** @param drainA whether 127.0.0.2 has {@code "Drain": true} */
    private static StevedoreConfig config(EchoBackend a, EchoBackend b, boolean drainA) throws Exception {
        return ConfigLoader.parse("""
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                  "Upload": {
                    "Routes": [{"KeyBytes": "0:1", "Operator": "==", "Value": "0xff", "Upstream": "deny"}],
                    "DefaultUpstream": "pool",
                    "Upstreams": [{
                      "Name": "pool", "Type": "rr",
                      "HealthChecker": {"HeartbeatIntervalSec": 1, "HeartbeatTimeoutSec": 1},
                      "Peers": [{"IP": "127.0.0.2", "Port": %d, "Drain": %b}, {"IP": "127.0.0.3", "Port": %d, "Weight": 1}]
                    }, {
                      "Name": "quic", "Type": "quic", "QuicLB": [{"ConfigId": 0, "ServerIdLength": 1, "NonceLength": 4}],
                      "Peers": [{"IP": "127.0.0.2", "Port": %1$d, "ServerId": "0x02"}]
                    }]
                  }
                }
                """.formatted(a.address().getPort(), drainA, b.address().getPort())).config();
    }

    /** The endpoint of {@code daemon}, on any free port, with no probes and no reload yet. */
    private static AdminServer adminOf(Daemon daemon) throws IOException {
        return AdminServer.start(ANY_PORT, new Observed(daemon, new ProbeTotals(), new Reloads(Instant.now()), "test"));
    }

    private static String peer(String upstream, EchoBackend echo) {
        return "peer=\"" + Addresses.format(echo.address()) + "\",upstream=\"" + upstream + "\"";
    }

    @Test
    void metricsStatusAndHealthzReportTheRunningDaemon() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config(a, b));
                HealthCheckers health = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
                Client client = new Client(daemon.listenAddress())) {
            ProbeTotals probes = new ProbeTotals();
            probes.track(health, daemon.upstreams());
            Observed observed = new Observed(daemon, probes, new Reloads(Instant.parse("2030-01-02T03:04:05Z")), "9.9-test");
            try (AdminServer admin = AdminServer.start(ANY_PORT, observed)) {
                for (int i = 0; i < 4; i++) {
                    client.request(new byte[] {(byte) i, 0, 0});
                }
                client.send(new byte[] {(byte) 0xff});
                Poll.until(Duration.ofSeconds(10), "the no_route drop",
                        () -> daemon.counters().dropped("no_route") == 1);
                Poll.until(Duration.ofSeconds(10), "a successful probe of each peer",
                        () -> probes.count(new PeerKey("pool", a.address()), true) > 0
                                && probes.count(new PeerKey("pool", b.address()), true) > 0);

                HttpResponse<String> metrics = get(admin.address(), "/metrics");
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
                        type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
                String body = metrics.body();
                assertThat(sample(body, "stevedore_peer_datagrams_total{direction=\"upload\"," + peer("pool", a) + "}"))
                        .isEqualTo(2);
                assertThat(sample(body, "stevedore_peer_datagrams_total{direction=\"download\"," + peer("pool", b) + "}"))
                        .isEqualTo(2);
                assertThat(sample(body, "stevedore_peer_bytes_total{direction=\"upload\"," + peer("pool", a) + "}"))
                        .isEqualTo(6);
                assertThat(sample(body, "stevedore_peer_bytes_total{direction=\"download\"," + peer("pool", a) + "}"))
                        .as("each echo adds the peer's id byte").isEqualTo(8);
                assertThat(sample(body, "stevedore_peer_send_errors_total{" + peer("pool", a) + "}")).isZero();
                assertThat(sample(body, "stevedore_peer_up{" + peer("pool", a) + "}")).isEqualTo(1);
                assertThat(sample(body, "stevedore_health_probes_total{" + peer("pool", a) + ",result=\"success\"}"))
                        .isPositive();
                assertThat(sample(body, "stevedore_quic_datagrams_total{result=\"server_id\",upstream=\"quic\"}"))
                        .as("no route leads to the quic upstream").isZero();
                assertThat(sample(body, "stevedore_quic_datagrams_total{result=\"fallback\",upstream=\"quic\"}")).isZero();
                assertThat(sample(body, "stevedore_dropped_datagrams_total{reason=\"no_route\"}")).isEqualTo(1);
                for (DropReason reason : DropReason.values()) {
                    assertThat(body).as("every drop reason is exported").contains(
                            "stevedore_dropped_datagrams_total{reason=\"" + reason.label() + "\"}");
                }
                assertThat(sample(body, "stevedore_dropped_datagrams_total{reason=\"oversize\"}")).isZero();
                assertThat(sample(body, "stevedore_dropped_datagrams_total{reason=\"backpressure\"}")).isZero();
                assertThat(sample(body, "stevedore_client_datagrams_total{listener=\"0\"}")).isEqualTo(5);
                assertThat(sample(body, "stevedore_client_bytes_total{listener=\"0\"}")).isEqualTo(13);
                assertThat(sample(body, "stevedore_listener_errors_total{listener=\"0\"}")).isZero();
                assertThat(sample(body, "stevedore_passive_ambiguous_total{listener=\"0\"}")).isZero();
                assertThat(sample(body, "stevedore_sessions")).isEqualTo(1);
                assertThat(sample(body, "stevedore_sessions_max")).isEqualTo(100_000);
                assertThat(sample(body, "stevedore_sessions_opened_total{listener=\"0\"}")).isEqualTo(1);
                for (CloseReason reason : CloseReason.values()) {
                    assertThat(sample(body, "stevedore_sessions_closed_total{listener=\"0\",reason=\""
                            + reason.label() + "\"}")).as("sessions closed as " + reason.label()).isZero();
                }
                assertThat(sample(body, "stevedore_sessions_unanswered")).as("the client's session was answered")
                        .isZero();
                assertThat(sample(body, "stevedore_config_reloads_total{result=\"ok\"}")).isZero();
                assertThat(sample(body, "stevedore_config_reloads_total{result=\"failed\"}")).isZero();
                assertThat(sample(body, "stevedore_config_last_reload_success_timestamp_seconds"))
                        .isEqualTo(Instant.parse("2030-01-02T03:04:05Z").getEpochSecond());
                assertThat(sample(body, "stevedore_build_info{java=\"" + System.getProperty("java.version")
                        + "\",transport=\"epoll\",version=\"9.9-test\"}")).isEqualTo(1);
                for (Metric metric : Metric.values()) {
                    if (metric == Metric.RESOLVES) {
                        // Samples only for upstreams with Resolve, which this file has not (DnsDiscoveryTest).
                        continue;
                    }
                    String exposed = metric.prometheusName() + (metric.type() == Metric.Type.COUNTER ? "_total" : "");
                    assertThat(body).as("every metric of the catalogue is exported")
                            .contains("# HELP " + exposed + " " + metric.help() + "\n");
                }

                HttpResponse<String> status = get(admin.address(), "/status");
                assertThat(status.statusCode()).isEqualTo(200);
                assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json");
                JsonNode json = JsonMapper.builder().build().readTree(status.body());
                assertThat(json.path("version").asText()).isEqualTo("9.9-test");
                assertThat(json.path("listening").asBoolean()).isTrue();
                assertThat(json.path("listeners").size()).isEqualTo(1);
                assertThat(json.path("listeners").path(0).path("address").asText())
                        .isEqualTo(Addresses.format(daemon.listenAddress()));
                assertThat(json.path("listeners").path(0).path("boundAddresses").toString())
                        .isEqualTo("[\"" + Addresses.format(daemon.listenAddress()) + "\"]");
                assertThat(json.path("listeners").path(0).path("clientDatagrams").asLong()).isEqualTo(5);
                assertThat(json.path("listeners").path(0).has("passiveAmbiguous")).isTrue();
                assertThat(json.path("sessions").path("live").asInt()).isEqualTo(1);
                assertThat(json.path("sessions").path("unanswered").asInt()).isZero();
                assertThat(json.path("sessions").path("closed").path("evicted").asLong()).isZero();
                assertThat(json.path("sessions").path("closed").size()).as("every close reason is listed")
                        .isEqualTo(CloseReason.values().length);
                assertThat(json.path("dropped").path("no_route").asLong()).isEqualTo(1);
                assertThat(json.path("dropped").size()).as("every drop reason is listed")
                        .isEqualTo(DropReason.values().length);
                assertThat(json.path("dropped").has("backpressure")).isTrue();
                JsonNode pool = json.path("upstreams").path(0);
                assertThat(pool.path("name").asText()).isEqualTo("pool");
                assertThat(pool.path("type").asText()).isEqualTo("rr");
                assertThat(pool.path("affinity").asText()).isEqualTo("packet");
                assertThat(pool.path("healthChecked").asBoolean()).isTrue();
                JsonNode first = pool.path("peers").path(0);
                assertThat(first.path("address").asText()).isEqualTo(Addresses.format(a.address()));
                assertThat(first.path("state").asText()).isEqualTo("up");
                assertThat(first.path("weight").asInt()).isEqualTo(1);
                assertThat(first.path("backup").asBoolean()).isFalse();
                assertThat(first.path("upload").path("datagrams").asLong()).isEqualTo(2);
                assertThat(first.path("download").path("bytes").asLong()).isEqualTo(8);
                assertThat(first.path("sendErrors").asLong()).isZero();
                assertThat(first.path("probes").path("success").asLong()).isPositive();
                assertThat(json.path("reloads").path("configLoadedAt").asText()).isEqualTo("2030-01-02T03:04:05Z");

                HttpResponse<String> healthz = get(admin.address(), "/healthz");
                assertThat(healthz.statusCode()).isEqualTo(200);
                assertThat(healthz.body()).isEqualTo("ok\n");
                assertThat(get(admin.address(), "/nothing-here").statusCode()).isEqualTo(404);
                assertThat(AdminHttp.send(admin.address(), "/status", "POST").statusCode()).isEqualTo(405);

                daemon.close();
                HttpResponse<String> stopped = get(admin.address(), "/healthz");
                assertThat(stopped.statusCode()).isEqualTo(503);
                assertThat(stopped.body()).isEqualTo("not listening\n");
            }
        }
    }

    @Test
    void aPeerDownShowsInTheGaugeAndTheStatus() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config(a, b));
                AdminServer admin = adminOf(daemon)) {
            daemon.upstreams().get(0).setPeerUp(1, false, "test");

            assertThat(sample(get(admin.address(), "/metrics").body(), "stevedore_peer_up{" + peer("pool", b) + "}"))
                    .isZero();
            JsonNode json = JsonMapper.builder().build().readTree(get(admin.address(), "/status").body());
            assertThat(json.path("upstreams").path(0).path("peers").path(1).path("state").asText()).isEqualTo("down");
        }
    }

    @Test
    void aDrainingPeerShowsInTheStatusAndTheGaugeWithTheSessionsItKeeps() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config(a, b));
                AdminServer admin = adminOf(daemon);
                Client old = new Client(daemon.listenAddress());
                Client fresh = new Client(daemon.listenAddress())) {
            old.request(new byte[] {1});
            old.request(new byte[] {2});
            ControlPlane.replan(daemon, config(a, b, true));
            fresh.request(new byte[] {1});
            fresh.request(new byte[] {2});

            JsonNode peers = JsonMapper.builder().build().readTree(get(admin.address(), "/status").body())
                    .path("upstreams").path(0).path("peers");
            assertThat(peers.path(0).path("draining").asBoolean()).isTrue();
            assertThat(peers.path(0).path("state").asText()).isEqualTo("up");
            assertThat(peers.path(0).path("sessions").asLong()).as("the round-robin session from before").isEqualTo(1);
            assertThat(peers.path(1).path("draining").asBoolean()).isFalse();
            assertThat(peers.path(1).path("sessions").asLong()).isEqualTo(2);
            String metrics = get(admin.address(), "/metrics").body();
            assertThat(sample(metrics, "stevedore_peer_sessions{" + peer("pool", a) + "}")).isEqualTo(1);
            assertThat(sample(metrics, "stevedore_peer_sessions{" + peer("pool", b) + "}")).isEqualTo(2);
            JsonNode onA = JsonMapper.builder().build().readTree(get(admin.address(), "/sessions?peer="
                    + Addresses.format(a.address())).body()).path("sessions");
            assertThat(onA).as("/sessions lists the sessions the gauge counts, whatever their last peer").hasSize(1);
            assertThat(onA.path(0).path("client").asText()).isEqualTo(Addresses.format(old.localAddress()));
        }
    }

    @Test
    void chashPeersShowTheirShareOfTheMaglevTableAsItChanges() throws Exception {
        StevedoreConfig config = ConfigLoader.parse("""
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                  "Upload": {
                    "DefaultUpstream": "kcp",
                    "Upstreams": [
                      {"Name": "kcp", "Type": "chash", "KeyBytes": "0:4", "TableSize": 1009, "Peers": [
                        {"IP": "127.0.0.2", "Port": 4001}, {"IP": "127.0.0.3", "Port": 4001, "Weight": 3},
                        {"IP": "127.0.0.4", "Port": 4001, "Backup": true}]},
                      {"Name": "plain", "Type": "rr", "Peers": [{"IP": "127.0.0.5", "Port": 4001}]}
                    ]
                  }
                }
                """).config();
        try (Daemon daemon = ControlPlane.startDataPlane(config);
                AdminServer admin = adminOf(daemon)) {
            JsonNode kcp = status(admin).path("upstreams").path(0);
            assertThat(kcp.path("tableSize").asInt()).isEqualTo(1009);
            int light = kcp.path("peers").path(0).path("tableEntries").asInt();
            int heavy = kcp.path("peers").path(1).path("tableEntries").asInt();
            assertThat(light + heavy).as("every entry belongs to a primary").isEqualTo(1009);
            assertThat(kcp.path("peers").path(2).path("tableEntries").asInt()).as("the idle backup").isZero();
            assertThat((double) heavy / light).as("weight 3 against weight 1").isBetween(2.5, 3.5);
            JsonNode plain = status(admin).path("upstreams").path(1);
            assertThat(plain.has("tableSize")).isFalse();
            assertThat(plain.path("peers").path(0).has("tableEntries")).as("rr has no table").isFalse();

            daemon.upstreams().get(0).setPeerUp(0, false, "test");
            JsonNode oneDown = status(admin).path("upstreams").path(0).path("peers");
            assertThat(oneDown.path(0).path("tableEntries").asInt()).isZero();
            assertThat(oneDown.path(1).path("tableEntries").asInt()).isEqualTo(1009);

            daemon.upstreams().get(0).setPeerUp(1, false, "test");
            JsonNode onBackup = status(admin).path("upstreams").path(0).path("peers");
            assertThat(onBackup.path(1).path("tableEntries").asInt()).isZero();
            assertThat(onBackup.path(2).path("tableEntries").asInt()).as("the backup takes the whole table")
                    .isEqualTo(1009);
        }
    }

    private static JsonNode status(AdminServer admin) throws Exception {
        HttpResponse<String> response = get(admin.address(), "/status");
        assertThat(response.statusCode()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(response.body());
    }

    @Test
    void anAdminAddressInUseIsOneClearError() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config(a, b))) {
            Observed observed = new Observed(daemon, new ProbeTotals(), new Reloads(Instant.now()), "test");
            try (AdminServer first = AdminServer.start(ANY_PORT, observed)) {
                InetSocketAddress taken = first.address();
                assertThatThrownBy(() -> AdminServer.start(taken, observed)).isInstanceOf(IOException.class)
                        .hasMessage("cannot serve the admin endpoint on 127.0.0.1:" + taken.getPort()
                                + ": address already in use");
            }
        }
    }

    @Test
    void probeCountsKeepGrowingAcrossHealthCheckerRestarts() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(config(a, b))) {
            PeerKey peer = new PeerKey("pool", a.address());
            ProbeTotals probes = new ProbeTotals();
            // A quarter-second "second": probes with a timeout that a loaded machine still meets, since a
            // probe that timed out would count as a failure, and none must be counted by the restarts.
            Duration second = Duration.ofMillis(250);
            HealthCheckers first = HealthCheckers.start(daemon.upstreams(), second, daemon.peerStates());
            probes.track(first, daemon.upstreams());
            Poll.until(Duration.ofSeconds(10), "two probes", () -> probes.count(peer, true) >= 2);
            first.close();
            long before = probes.count(peer, true);

            probes.retire();
            assertThat(probes.count(peer, true)).as("right after the old checkers retire").isEqualTo(before);
            try (HealthCheckers next = HealthCheckers.start(daemon.upstreams(), second, daemon.peerStates())) {
                probes.track(next, daemon.upstreams());
                Poll.until(Duration.ofSeconds(10), "more probes", () -> probes.count(peer, true) > before);
            }
            assertThat(probes.count(peer, false)).isZero();
        }
    }
}
