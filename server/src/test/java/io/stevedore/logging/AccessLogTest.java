package io.stevedore.logging;

import static io.stevedore.admin.AdminHttp.get;
import static io.stevedore.admin.AdminHttp.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stevedore.cli.Runner;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.LogConfig;
import io.stevedore.metrics.CloseReason;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.Poll;
import io.stevedore.transport.LiveSession;
import io.stevedore.transport.SessionLog.ClosedSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Log.AccessPath}: a daemon on real sockets writes one JSON line per session it closes. */
class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path file(String accessPath, EchoBackend peer) throws IOException {
        return file(accessPath, peer, "\"TimeoutSec\": 1, \"RecycleIntervalSec\": 1");
    }

    private Path file(String accessPath, EchoBackend peer, String session) throws IOException {
        return Files.writeString(dir.resolve("stevedore.json"), """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                  "Session": {%s},
                  "Upload": {
                    "DefaultUpstream": "pool",
                    "Upstreams": [{"Name": "pool", "Type": "rr", "Peers": [{"IP": "%s", "Port": %d}]}]
                  },
                  "Admin": {"ListenAddr": "127.0.0.1:0"},
                  "Log": {"AccessPath": "%s"}
                }
                """.formatted(session, peer.address().getHostString(), peer.address().getPort(), accessPath));
    }

    private static List<JsonNode> lines(Path log) {
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                lines.add(JSON.readTree(line));
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void eachSessionClosedByIdleTimeoutOrShutdownIsOneLineWithItsTraffic() throws Exception {
        Path log = dir.resolve("access.log");
        try (EchoBackend peer = EchoBackend.start("127.0.0.2", 2)) {
            Path file = file(log.toString(), peer);
            Runner runner = Runner.start(file, ConfigLoader.load(file).config(), "test");
            InetSocketAddress listen = runner.daemon().listenAddress();
            InetSocketAddress idleClient;
            InetSocketAddress lastClient;
            try {
                Instant before = Instant.now();
                try (Client client = new Client(listen)) {
                    idleClient = client.localAddress();
                    for (int i = 0; i < 3; i++) {
                        client.request(new byte[] {1, 2, 3, 4, 5});
                    }
                }
                Poll.until(Duration.ofSeconds(10), "the idle session is logged", () -> lines(log).size() == 1);
                JsonNode idle = lines(log).get(0);
                assertThat(idle.get("reason").asText()).isEqualTo("idle");
                assertThat(idle.get("client").asText()).isEqualTo(Addresses.format(idleClient));
                assertThat(idle.get("listener").asText()).isEqualTo(Addresses.format(listen));
                assertThat(idle.get("peers").get("pool").asText()).isEqualTo(Addresses.format(peer.address()));
                assertThat(idle.get("datagrams_in").asLong()).isEqualTo(3);
                assertThat(idle.get("datagrams_out").asLong()).isEqualTo(3);
                assertThat(idle.get("bytes_in").asLong()).isEqualTo(15);
                assertThat(idle.get("bytes_out").asLong()).as("each echo is the peer's id byte and the payload")
                        .isEqualTo(18);
                assertThat(idle.get("duration_ms").asLong()).as("idle for at least TimeoutSec").isGreaterThanOrEqualTo(1000);
                assertThat(Instant.parse(idle.get("time").asText())).isAfterOrEqualTo(before.minusSeconds(1));

                InetSocketAddress admin = runner.adminAddress().orElseThrow();
                assertThat(sample(get(admin, "/metrics").body(), "stevedore_access_log_dropped_total")).isZero();

                try (Client client = new Client(listen)) {
                    lastClient = client.localAddress();
                    client.request(new byte[] {9});
                }
            } finally {
                runner.close();
            }
            List<JsonNode> lines = lines(log);
            assertThat(lines).as("every close is logged once").hasSize(2);
            JsonNode shutdown = lines.get(1);
            assertThat(shutdown.get("reason").asText()).isEqualTo("shutdown");
            assertThat(shutdown.get("client").asText()).isEqualTo(Addresses.format(lastClient));
            assertThat(shutdown.get("datagrams_in").asLong()).isEqualTo(1);
            assertThat(shutdown.get("bytes_out").asLong()).isEqualTo(2);
        }
    }

    @Test
    void aSessionEvictedForANewClientIsLoggedAsEvicted() throws Exception {
        Path log = dir.resolve("access.log");
        try (EchoBackend peer = EchoBackend.start("127.0.0.2", 2).answerOnly(new byte[] {1})) {
            Path file = file(log.toString(), peer, "\"MaxSessions\": 1");
            Runner runner = Runner.start(file, ConfigLoader.load(file).config(), "test");
            InetSocketAddress unanswered;
            try (Client silent = new Client(runner.daemon().listenAddress());
                    Client answered = new Client(runner.daemon().listenAddress())) {
                unanswered = silent.localAddress();
                silent.send(new byte[] {7, 7});
                Poll.until("the silent client's datagram reached the peer", () -> peer.received() == 1);
                answered.request(new byte[] {1});
                Poll.until("the eviction is logged", () -> lines(log).size() == 1);
            } finally {
                runner.close();
            }
            JsonNode evicted = lines(log).get(0);
            assertThat(evicted.get("reason").asText()).isEqualTo("evicted");
            assertThat(evicted.get("client").asText()).isEqualTo(Addresses.format(unanswered));
            assertThat(evicted.get("datagrams_in").asLong()).isEqualTo(1);
            assertThat(evicted.get("bytes_in").asLong()).isEqualTo(2);
            assertThat(evicted.get("datagrams_out").asLong()).isZero();
            assertThat(lines(log)).extracting(line -> line.get("reason").asText()).containsExactly("evicted", "shutdown");
        }
    }

    @Test
    void aSessionClosedByAReloadIsLoggedAsReloadWithThePeerItUsed() throws Exception {
        Path log = dir.resolve("access.log");
        try (EchoBackend v4 = EchoBackend.start("127.0.0.2", 4);
                EchoBackend v6 = EchoBackend.start("::1", 6)) {
            Path file = file(log.toString(), v4, "");
            Runner runner = Runner.start(file, ConfigLoader.load(file).config(), "test");
            InetSocketAddress closed;
            try (Client client = new Client(runner.daemon().listenAddress())) {
                closed = client.localAddress();
                client.request(new byte[] {1, 2});
                // The first IPv6 peer: the live sessions' IPv4 sockets cannot reach it, so the reload closes them.
                Files.writeString(file, Files.readString(file).replace("\"Port\": " + v4.address().getPort() + "}",
                        "\"Port\": " + v4.address().getPort() + "}, {\"IP\": \"::1\", \"Port\": "
                                + v6.address().getPort() + "}"));
                assertThat(runner.reload()).isTrue();
                Poll.until("the reload's close is logged", () -> lines(log).size() == 1);
            } finally {
                runner.close();
            }
            JsonNode reload = lines(log).get(0);
            assertThat(reload.get("reason").asText()).isEqualTo("reload");
            assertThat(reload.get("client").asText()).isEqualTo(Addresses.format(closed));
            assertThat(reload.get("peers").get("pool").asText()).isEqualTo(Addresses.format(v4.address()));
            assertThat(reload.get("datagrams_in").asLong()).isEqualTo(1);
            assertThat(reload.get("datagrams_out").asLong()).isEqualTo(1);
        }
    }

    @Test
    void aReloadThatMovesTheAccessLogLeavesItWhereItStartedUntilARestart() throws Exception {
        Path log = dir.resolve("access.log");
        Path moved = dir.resolve("moved.log");
        try (EchoBackend peer = EchoBackend.start("127.0.0.2", 2)) {
            Path file = file(log.toString(), peer, "");
            Runner runner = Runner.start(file, ConfigLoader.load(file).config(), "test");
            try (Client client = new Client(runner.daemon().listenAddress())) {
                file(moved.toString(), peer, "");
                assertThat(runner.reload()).isTrue();
                client.request(new byte[] {1});
            } finally {
                runner.close();
            }
            assertThat(lines(log)).extracting(line -> line.get("reason").asText()).containsExactly("shutdown");
            assertThat(moved).doesNotExist();
        }
    }

    @Test
    void aFullQueueDropsAndCountsRecordsWhileTheWriterIsHeld() throws Exception {
        Path log = dir.resolve("held.log");
        LogConfig config = new LogConfig("", "info", false, 168, 24, log.toString());
        AccessLog access = AccessLog.open(config, 2);
        try (AutoCloseable held = access.hold()) {
            for (int i = 0; i < 5; i++) {
                access.closed(record(i));
            }
            assertThat(access.dropped()).as("beyond the queue's 2, never waiting").isEqualTo(3);
        }
        access.close();
        assertThat(lines(log)).extracting(line -> line.get("datagrams_in").asLong()).containsExactly(0L, 1L);
    }

    @Test
    void rotatedAccessLogsAreNamedAndPrunedByTheMainLogsRules() throws Exception {
        Path log = dir.resolve("access.log");
        Instant now = Instant.now();
        Path old = Files.writeString(dir.resolve("access.log." + hourly(now.minus(10, ChronoUnit.HOURS))), "{}\n");
        Path recent = Files.writeString(dir.resolve("access.log." + hourly(now.minus(2, ChronoUnit.HOURS))), "{}\n");

        AccessLog access = AccessLog.open(new LogConfig("", "info", false, 5, 1, log.toString()));
        try {
            // Logback prunes on a background thread: poll, never sleep a fixed time.
            Poll.until(Duration.ofSeconds(10), "the access log older than MaxAgeHour pruned", () -> !Files.exists(old));
            assertThat(recent).exists();
            access.closed(record(7));
        } finally {
            access.close();
        }
        assertThat(lines(log)).extracting(line -> line.get("datagrams_in").asLong()).containsExactly(7L);
    }

    private static String hourly(Instant instant) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd_HH").format(instant.atZone(ZoneId.systemDefault()));
    }

    private static ClosedSession record(int i) {
        InetSocketAddress client = new InetSocketAddress("127.0.0.9", 5000 + i);
        LiveSession session = new LiveSession(client, null, null, null, Map.of(), 0, 0, 0, i, i, 0, 0, false);
        return new ClosedSession(System.currentTimeMillis(), session, CloseReason.IDLE, 1);
    }

    @Test
    void anAccessPathThatCannotBeWrittenStopsTheStart() throws Exception {
        try (EchoBackend peer = EchoBackend.start("127.0.0.2", 2)) {
            Path blocker = Files.writeString(dir.resolve("not-a-directory"), "");
            Path file = file(blocker.resolve("access.log").toString(), peer);
            assertThatThrownBy(() -> Runner.start(file, ConfigLoader.load(file).config(), "test").close())
                    .isInstanceOf(Runner.StartException.class)
                    .hasMessageStartingWith("Log.AccessPath " + blocker.resolve("access.log") + ": cannot log there");
        }
    }
}
