package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stevedore.admin.AdminServer;
import io.stevedore.admin.Observed;
import io.stevedore.admin.Reloads;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.Metric;
import io.stevedore.metrics.PeerKey;
import io.stevedore.metrics.ResolveResult;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.Poll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: an upstream's peers follow DNS. A real dnsmasq on 127.0.0.x answers from a hosts file
 * the test rewrites (dnsmasq reads it again on SIGHUP) and from SRV records whose targets are in
 * it; traffic through Stevedore follows each change, and a name that loses its records or a
 * server that stops answering leaves the last good peers running.
 */
class DnsDiscoveryTest {

    private static final String NAME = "backends.stevedore.test";
    private static final String SERVICE = "_game._udp.stevedore.test";
    private static final int KEYS = 200;
    private static final Duration FOLLOW = Duration.ofSeconds(15);
    /**
     * Maglev may move a few keys between kept peers when the set changes (under 1% of them): of
     * {@link #KEYS}, at most this many.
     */
    private static final int MAGLEV_SLACK = 4;

    @TempDir
    Path dir;

    @Test
    void aRecordsChangeThePeersAndOnlyTheKeysOfTheRemovedPeerMove() throws Exception {
        int port = Loopback.freeUdpPort(Loopback.address(2), Loopback.address(3), Loopback.address(4));
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.2 " + NAME + "\n127.0.0.3 " + NAME + "\n");
        InetSocketAddress dnsAddress = dnsAddress(53);
        try (Dnsmasq dns = Dnsmasq.start("dnsmasq-peers", dnsAddress, NAME, List.of("--addn-hosts=" + hosts));
                EchoBackend two = EchoBackend.start("127.0.0.2", port, 2);
                EchoBackend three = EchoBackend.start("127.0.0.3", port, 3);
                EchoBackend four = EchoBackend.start("127.0.0.4", port, 4);
                ControlPlane plane = ControlPlane.start(config("{'Name': '" + NAME + "', 'Type': 'A', 'Port': " + port
                        + ", 'Servers': ['" + dnsAddress.getAddress().getHostAddress() + ":" + dnsAddress.getPort()
                        + "'], 'IntervalSec': 1}", "chash"));
                Client client = new Client(plane.daemon().listenAddress())) {
            assertThat(peers(plane)).as("resolved before the data plane started")
                    .containsExactlyInAnyOrder("127.0.0.2:" + port, "127.0.0.3:" + port);
            assertThat(plane.daemon().config().upload().upstreams().get(0).peers())
                    .extracting(PeerConfig::origin).containsOnly("A " + NAME);
            Map<Integer, Integer> before = backendPerKey(client);
            assertThat(before.values()).containsOnly(2, 3);

            follow(plane, dns, hosts, port, "127.0.0.2", "127.0.0.3", "127.0.0.4");
            Map<Integer, Integer> added = backendPerKey(client);
            assertThat(added.values()).as("the new peer takes keys").contains(4);
            assertThat(moved(before, added, key -> added.get(key) != 4)).as("keys moved but to the new peer")
                    .isLessThanOrEqualTo(MAGLEV_SLACK);

            follow(plane, dns, hosts, port, "127.0.0.2", "127.0.0.4");
            long threeBefore = three.received();
            Map<Integer, Integer> after = backendPerKey(client);
            assertThat(three.received()).as("the removed peer gets nothing").isEqualTo(threeBefore);
            assertThat(after.values()).containsOnly(2, 4);
            assertThat(moved(added, after, key -> added.get(key) != 3)).as("keys of the kept peers that moved")
                    .isLessThanOrEqualTo(MAGLEV_SLACK);
            assertThat(plane.daemon().counters().closed(CloseReason.RELOAD)).as("sessions kept").isZero();
            assertThat(plane.resolves().count("game", ResolveResult.CHANGED)).isEqualTo(3);

            Files.writeString(hosts, "127.0.0.9 other.stevedore.test\n");
            dns.reread();
            Poll.until(FOLLOW, "the name without records is counted",
                    () -> plane.resolves().count("game", ResolveResult.EMPTY) > 0);
            assertThat(peers(plane)).as("an empty answer keeps the last good peers")
                    .containsExactlyInAnyOrder("127.0.0.2:" + port, "127.0.0.4:" + port);

            dns.close();
            Poll.until(FOLLOW, "the silent server is counted",
                    () -> plane.resolves().count("game", ResolveResult.FAILED) > 0);
            assertThat(peers(plane)).as("a failed resolution keeps the last good peers")
                    .containsExactlyInAnyOrder("127.0.0.2:" + port, "127.0.0.4:" + port);
            assertThat(backendPerKey(client)).as("and traffic goes on as before").isEqualTo(after);
            assertAdminShows(plane, "A " + NAME);
        }
    }

    /** {@code /status} gives each peer's origin and {@code /metrics} the resolutions by result. */
    private static void assertAdminShows(ControlPlane plane, String origin) throws Exception {
        Observed observed = new Observed(plane.daemon(), plane.probes(), new Reloads(Instant.now()), plane.resolves(),
                "test");
        try (AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), observed)) {
            JsonNode status = new ObjectMapper().readTree(get(admin, "/status"));
            assertThat(status.at("/upstreams/0/peers")).extracting(peer -> peer.get("origin").asText())
                    .containsOnly(origin);
            assertThat(status.at("/resolves/game/changed").asLong()).isEqualTo(3);
            assertThat(get(admin, "/metrics"))
                    .contains("# HELP stevedore_resolve_total " + Metric.RESOLVES.help() + "\n")
                    .contains("stevedore_resolve_total{result=\"changed\",upstream=\"game\"} 3.0")
                    .containsPattern("stevedore_resolve_total\\{result=\"failed\",upstream=\"game\"} [1-9]");
        }
    }

    private static String get(AdminServer admin, String path) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        return http.send(HttpRequest.newBuilder(URI.create("http://" + Addresses.format(admin.address()) + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void srvGivesEachTargetItsPortAndWeightAndANewTargetReceivesAndIsProbed() throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.5 one.stevedore.test\n");
        InetSocketAddress dnsAddress = dnsAddress(55);
        try (EchoBackend one = EchoBackend.start("127.0.0.5", 5);
                EchoBackend two = EchoBackend.start("127.0.0.6", 6);
                Dnsmasq dns = Dnsmasq.start("dnsmasq-srv", dnsAddress, "one.stevedore.test", List.of(
                        "--addn-hosts=" + hosts,
                        "--srv-host=" + SERVICE + ",one.stevedore.test," + one.address().getPort() + ",0,3",
                        "--srv-host=" + SERVICE + ",two.stevedore.test," + two.address().getPort() + ",0,1"));
                ControlPlane plane = ControlPlane.start(config("{'Name': '" + SERVICE + "', 'Type': 'SRV', "
                        + "'Servers': ['" + dnsAddress.getAddress().getHostAddress() + ":" + dnsAddress.getPort()
                        + "'], 'IntervalSec': 1}, 'HealthChecker': {'HeartbeatIntervalSec': 1, 'HeartbeatTimeoutSec': 1}",
                        "rr"));
                Client client = new Client(plane.daemon().listenAddress())) {
            assertThat(plane.daemon().config().upload().upstreams().get(0).peers()).as("a target without addresses is no peer")
                    .containsExactly(new PeerConfig(one.address(), 3, false, false, null, "SRV " + SERVICE));
            client.request(key(1));

            Files.writeString(hosts, "127.0.0.5 one.stevedore.test\n127.0.0.6 two.stevedore.test\n");
            dns.reread();
            Poll.until(FOLLOW, "the second target's address is a peer", () -> peers(plane).size() == 2);
            assertThat(plane.daemon().config().upload().upstreams().get(0).peers()).containsExactlyInAnyOrder(
                    new PeerConfig(one.address(), 3, false, false, null, "SRV " + SERVICE),
                    new PeerConfig(two.address(), 1, false, false, null, "SRV " + SERVICE));
            Map<Integer, Long> answered = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                answered.merge(client.request(key(i)).backend(), 1L, Long::sum);
            }
            assertThat(answered).as("weighted round robin, 3 to 1").containsEntry(5, 30L).containsEntry(6, 10L);
            Poll.until(FOLLOW, "the health checks probe the new peer",
                    () -> plane.probes().count(new PeerKey("game", two.address()), true) > 0);
        }
    }

    @Test
    void withoutAnAnswerAtStartTheFilesPeersRunUntilOneComesAndAReloadKeepsIt() throws Exception {
        int port = Loopback.freeUdpPort(Loopback.address(7), Loopback.address(8));
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.8 " + NAME + "\n");
        InetSocketAddress dnsAddress = dnsAddress(57);
        StevedoreConfig config = ConfigLoader.parse(("{'Server': {'ListenAddr': '127.0.0.1:0', 'ListenParallel': 1}, "
                + "'Upload': {'DefaultUpstream': 'game', 'Upstreams': [{'Name': 'game', 'Type': 'rr', "
                + "'Peers': [{'IP': '127.0.0.7', 'Port': " + port + "}], 'Resolve': {'Name': '" + NAME + "', "
                + "'Type': 'A', 'Port': " + port + ", 'Servers': ['" + dnsAddress.getAddress().getHostAddress() + ":"
                + dnsAddress.getPort() + "'], 'IntervalSec': 1}}]}}").replace('\'', '"')).config();
        try (EchoBackend seven = EchoBackend.start("127.0.0.7", port, 7);
                EchoBackend eight = EchoBackend.start("127.0.0.8", port, 8);
                ControlPlane plane = ControlPlane.start(config);
                Client client = new Client(plane.daemon().listenAddress())) {
            assertThat(peers(plane)).as("no DNS server yet: the file's peer alone").containsExactly("127.0.0.7:" + port);
            assertThat(plane.resolves().count("game", ResolveResult.FAILED)).isPositive();
            assertThat(client.request(key(1)).backend()).isEqualTo(7);

            try (Dnsmasq dns = Dnsmasq.start("dnsmasq-late", dnsAddress, NAME, List.of("--addn-hosts=" + hosts))) {
                Poll.until(FOLLOW, "the answer's peer joins the file's", () -> peers(plane).size() == 2,
                        () -> "peers " + peers(plane));
                assertThat(plane.daemon().config().upload().upstreams().get(0).peers())
                        .extracting(PeerConfig::origin).containsExactly(PeerConfig.FILE, "A " + NAME);

                plane.reload(config);
                assertThat(peers(plane)).as("a reload of the file keeps what DNS named")
                        .containsExactlyInAnyOrder("127.0.0.7:" + port, "127.0.0.8:" + port);
                Set<Integer> answered = new java.util.HashSet<>();
                for (int i = 0; i < 4; i++) {
                    answered.add(client.request(key(i)).backend());
                }
                assertThat(answered).containsExactlyInAnyOrder(7, 8);
            }
        }
    }

    /** Rewrites the hosts file to give {@link #NAME} {@code ips} and waits until they are the peers. */
    private static void follow(ControlPlane plane, Dnsmasq dns, Path hosts, int port, String... ips) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (String ip : ips) {
            lines.append(ip).append(' ').append(NAME).append('\n');
        }
        Files.writeString(hosts, lines);
        dns.reread();
        Set<String> expected = java.util.Arrays.stream(ips).map(ip -> ip + ":" + port).collect(Collectors.toSet());
        Poll.until(FOLLOW, "the peers follow the hosts file", () -> peers(plane).equals(expected),
                () -> "peers " + peers(plane));
    }

    /** How many of the keys {@code counted} selects answer from another backend in {@code after}. */
    private static long moved(Map<Integer, Integer> before, Map<Integer, Integer> after,
            java.util.function.IntPredicate counted) {
        return before.keySet().stream().filter(counted::test)
                .filter(key -> !before.get(key).equals(after.get(key))).count();
    }

    /**
     * An upstream "game" of {@code type} with {@code resolve} (and what follows it in the
     * upstream's object) and no Peers, behind 127.0.0.1.
     */
    private static StevedoreConfig config(String resolve, String type) throws Exception {
        String chash = type.equals("chash") ? "'KeyBytes': '0:4', " : "";
        return ConfigLoader.parse(("{'Server': {'ListenAddr': '127.0.0.1:0', 'ListenParallel': 1}, 'Upload': "
                + "{'DefaultUpstream': 'game', 'Upstreams': [{'Name': 'game', 'Type': '" + type + "', " + chash
                + "'Resolve': " + resolve + "}]}}").replace('\'', '"')).config();
    }

    private static InetSocketAddress dnsAddress(int host) {
        InetAddress ip = Loopback.address(host);
        return new InetSocketAddress(ip, Loopback.freeUdpPort(ip));
    }

    private static Set<String> peers(ControlPlane plane) {
        return plane.daemon().config().upload().upstreams().get(0).peers().stream()
                .map(peer -> peer.address().getAddress().getHostAddress() + ":" + peer.address().getPort())
                .collect(Collectors.toSet());
    }

    /** Which backend answers each of {@link #KEYS} conversation ids. */
    private static Map<Integer, Integer> backendPerKey(Client client) throws Exception {
        Map<Integer, Integer> backends = new HashMap<>();
        for (int key = 0; key < KEYS; key++) {
            backends.put(key, client.request(key(key)).backend());
        }
        return backends;
    }

    private static byte[] key(int key) {
        return ByteBuffer.allocate(8).putInt(key).putInt(0x6b637021).array();
    }
}
