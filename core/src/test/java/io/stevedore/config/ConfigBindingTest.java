package io.stevedore.config;

import static io.stevedore.config.ConfigValidationTest.json;
import static io.stevedore.config.ConfigValidationTest.withPeers;
import static io.stevedore.config.ConfigValidationTest.withRoute;
import static io.stevedore.config.ConfigValidationTest.withSection;
import static io.stevedore.config.ConfigValidationTest.withUpstream;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Valid files: the typed result, defaults, and the warnings and notes that come with it. */
class ConfigBindingTest {

    private static final String UPSTREAM = "{'Name': 'a', 'Type': 'rr', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}";

    static Stream<Arguments> routeValues() {
        return Stream.of(
                Arguments.of("0:1", "0x7f", new int[] {0x7f}),
                Arguments.of("0:1", "0x1", new int[] {0x01}),
                Arguments.of("4:6", "0x01", new int[] {0x00, 0x01}),
                Arguments.of("4:6", "0x001", new int[] {0x00, 0x01}),
                Arguments.of("4:6", "0XABCD", new int[] {0xab, 0xcd}),
                Arguments.of("0:4", "0x01", new int[] {0x00, 0x00, 0x00, 0x01}),
                Arguments.of("0:1", "0b10000000", new int[] {0x80}),
                Arguments.of("0:1", "0b1", new int[] {0x01}),
                Arguments.of("0:2", "0b100000001", new int[] {0x01, 0x01}),
                Arguments.of("4:6", "258", new int[] {0x01, 0x02}),
                Arguments.of("0:1", "0", new int[] {0x00}),
                Arguments.of("0:1", "255", new int[] {0xff}),
                Arguments.of("0:8", "18446744073709551615", new int[] {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    }

    @ParameterizedTest(name = "KeyBytes {0}, Value {1}")
    @MethodSource("routeValues")
    void aRouteValueIsZeroExtendedOnTheLeftToItsField(String keyBytes, String value, int[] expected) throws Exception {
        RouteConfig route = ConfigLoader.parse(withRoute(keyBytes, "==", value)).config().upload().routes().get(0);

        byte[] bytes = new byte[expected.length];
        for (int i = 0; i < expected.length; i++) {
            bytes[i] = (byte) expected[i];
        }
        assertThat(route.value()).containsExactly(bytes);
    }

    @Test
    void bangEqualsIsTheAliasOfBangEqualsEquals() throws Exception {
        RouteConfig route = ConfigLoader.parse(withRoute("0:1", "!=", "0x01")).config().upload().routes().get(0);

        assertThat(route.operator()).isEqualTo(Operator.NE);
    }

    @Test
    void routesAndDefaultsNamingNoUpstreamAreNotesNotErrors() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(json("{'Upload': {'DefaultUpstream': 'deny', 'Upstreams': [" + UPSTREAM + "],"
                + " 'Routes': [{'KeyBytes': '0:1', 'Operator': '==', 'Value': '0x01', 'Upstream': 'a'},"
                + " {'KeyBytes': '0:1', 'Operator': '==', 'Value': '0x02', 'Upstream': 'blackhole'}]}}"));

        assertThat(loaded.notes()).containsExactly(
                "Upload.Routes[1].Upstream \"blackhole\" names no upstream: datagrams matching this route are dropped",
                "Upload.DefaultUpstream \"deny\" names no upstream: datagrams that match no route are dropped");
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.config().upload().routes()).extracting(RouteConfig::upstream).containsExactly("a", "blackhole");
    }

    @Test
    void anUpstreamNamedInTheWrongCaseIsAWarningSinceNamesAreCaseSensitive() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(json("{'Upload': {'DefaultUpstream': 'A', 'Upstreams': [" + UPSTREAM + "]}}"));

        assertThat(loaded.warnings()).contains("Upload.DefaultUpstream \"A\" names no upstream (upstream names are"
                + " case-sensitive; did you mean \"a\"?): datagrams that match no route are dropped");
    }

    @Test
    void withoutDefaultUpstreamUnmatchedTrafficIsDroppedAndWithoutRoutesTooThatIsAWarning() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(json("{'Upload': {'Upstreams': [" + UPSTREAM + "]}}"));

        assertThat(loaded.config().upload().defaultUpstream()).isEmpty();
        assertThat(loaded.notes()).containsExactly(
                "Upload.DefaultUpstream is not set: datagrams that match no route are dropped");
        assertThat(loaded.warnings()).containsExactly(
                "Upload: no Routes and DefaultUpstream names no upstream: every datagram is dropped");
    }

    @Test
    void theGoOriginalsTuningKnobsAreAcceptedAndNotedAsNotApplicable() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(withSection("Server",
                "{'EventSize': 1024, 'EventChanSize': 1024, 'TaskPoolSize': 64, 'TaskPoolTimeoutSec': 10}"));

        assertThat(loaded.notes()).contains(
                "Server.EventSize: a tuning knob of the Go original, not applicable here; ignored",
                "Server.EventChanSize: a tuning knob of the Go original, not applicable here; ignored",
                "Server.TaskPoolSize: a tuning knob of the Go original, not applicable here; ignored",
                "Server.TaskPoolTimeoutSec: a tuning knob of the Go original, not applicable here; ignored");
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void everyServerAndSessionKeyIsRead() throws Exception {
        StevedoreConfig config = ConfigLoader.parse(json("""
                {'Server': {'ListenAddr': '[::1]:5000', 'ListenParallel': 3, 'BatchSize': 64, 'BufSize': 65535, 'MaxTryTimes': 5,
                            'RecvBufBytes': 65536, 'FloodRecvBufBytes': 16384},
                 'Session': {'TimeoutSec': 60, 'RecycleIntervalSec': 5, 'MaxSessions': 7, 'RecvBufBytes': 8192},
                 'Upload': {'DefaultUpstream': 'a', 'Upstreams': [%s]}}
                """.formatted(UPSTREAM))).config();

        assertThat(config.server()).isEqualTo(new ServerConfig(new InetSocketAddress("::1", 5000), 3, 64, 65535, 5, List.of(), 65536, 16384, true));
        assertThat(config.session()).isEqualTo(new SessionConfig(60, 5, 7, List.of(), 8192));
    }

    @Test
    void proxyProtocolKeysAreReadAndEachBlockHasItsHostBitsCleared() throws Exception {
        StevedoreConfig config = ConfigLoader.parse(json("""
                {'Server': {'ProxyProtocolFrom': ['127.0.0.9/8', '::1', '127.1.2.3/32']},
                 'Upload': {'DefaultUpstream': 'a', 'Upstreams': [
                   {'Name': 'a', 'Type': 'rr', 'ProxyProtocol': 'V2', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]},
                   {'Name': 'b', 'Type': 'rr', 'Peers': [{'IP': '127.0.0.3', 'Port': 4001}]}]}}
                """)).config();

        assertThat(config.server().proxyProtocolFrom()).extracting(Cidr::toString)
                .containsExactly("127.0.0.0/8", "::1/128", "127.1.2.3/32");
        assertThat(config.upload().upstreams()).extracting(UpstreamConfig::proxyProtocol).containsExactly(true, false);
    }

    @Test
    void aListenAddressWithoutHostListensOnEveryInterface() throws Exception {
        StevedoreConfig config = ConfigLoader.parse(withSection("Server", "{'ListenAddr': ':2700'}")).config();

        assertThat(config.server().listenAddr()).isEqualTo(new InetSocketAddress("0.0.0.0", 2700));
    }

    @Test
    void jsonNullIsTheSameAsAbsent() throws Exception {
        StevedoreConfig config = ConfigLoader.parse(withSection("Server", "{'BatchSize': null}")).config();

        assertThat(config.server().batchSize()).isEqualTo(ServerConfig.BATCH_SIZE.defaultValue());
    }

    @Test
    void everyUpstreamKeyIsReadAndTypeAndAffinityMatchInAnyCase() throws Exception {
        UpstreamConfig upstream = ConfigLoader.parse(withUpstream("""
                {'Name': 'a', 'Type': 'CHash', 'KeyBytes': '8:16', 'TableSize': 997, 'Affinity': 'SESSION', 'Latch': true,
                 'HealthChecker': {'HeartbeatIntervalSec': 10, 'HeartbeatTimeoutSec': 10, 'SuccessTimes': 2, 'FailedTimes': 3,
                                   'Send': '0x0001ff', 'Expect': 'pong'},
                 'Peers': [{'IP': '127.0.0.2', 'Port': 4001, 'Weight': 3}, {'IP': '::1', 'Port': 4001, 'Backup': true}]}
                """)).config().upload().upstreams().get(0);

        assertThat(upstream.type()).isEqualTo(BalanceType.CHASH);
        assertThat(upstream.keyBytes()).contains(new KeyBytes(8, 16));
        assertThat(upstream.tableSize()).isEqualTo(997);
        assertThat(upstream.affinity()).isEqualTo(Affinity.SESSION);
        assertThat(upstream.latch()).isTrue();
        assertThat(upstream.peers()).containsExactly(
                new PeerConfig(new InetSocketAddress("127.0.0.2", 4001), 3, false),
                new PeerConfig(new InetSocketAddress("::1", 4001), 1, true));
        HealthCheckConfig health = upstream.healthChecker().orElseThrow();
        assertThat(health.heartbeatIntervalSec()).isEqualTo(10);
        assertThat(health.heartbeatTimeoutSec()).isEqualTo(10);
        assertThat(health.successTimes()).isEqualTo(2);
        assertThat(health.failedTimes()).isEqualTo(3);
        assertThat(health.send()).containsExactly(0x00, 0x01, 0xff);
        assertThat(health.expect()).hasValueSatisfying(e -> assertThat(new String(e, StandardCharsets.UTF_8)).isEqualTo("pong"));
    }

    @Test
    void keyBytesAndTableSizeOnAnRrUpstreamAreIgnoredWithAWarning() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(withUpstream(
                "{'Name': 'a', 'Type': 'rr', 'KeyBytes': '0:4', 'TableSize': 997, 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"));

        assertThat(loaded.config().upload().upstreams().get(0).keyBytes()).isEmpty();
        assertThat(loaded.warnings()).containsExactly(
                "Upload.Upstreams[0].KeyBytes: ignored; only Type \"chash\" uses it",
                "Upload.Upstreams[0].TableSize: ignored; only Types \"chash\" and \"quic\" use it");
    }

    @Test
    void anUpstreamWhoseOnlyPeerIsTheBackupWorksWithAWarning() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'Backup': true}"));

        assertThat(loaded.warnings()).containsExactly(
                "Upload.Upstreams[0].Peers: the only peer is the backup, so it takes all the traffic");
    }

    @Test
    void drainIsAPeersFlagAndAnUpstreamWhosePeersAllDrainWorksWithAWarning() throws Exception {
        LoadedConfig one = ConfigLoader.parse(withPeers(
                "{'IP': '127.0.0.2', 'Port': 4001, 'Drain': true}, {'IP': '127.0.0.3', 'Port': 4001}"));
        assertThat(one.config().upload().upstreams().get(0).peers()).extracting(PeerConfig::drain)
                .containsExactly(true, false);
        assertThat(one.warnings()).isEmpty();

        LoadedConfig all = ConfigLoader.parse(withPeers(
                "{'IP': '127.0.0.2', 'Port': 4001, 'Drain': true}, {'IP': '127.0.0.3', 'Port': 4001, 'Drain': true}"));
        assertThat(all.warnings()).containsExactly("Upload.Upstreams[0].Peers: every peer drains, so new sessions are "
                + "dropped (no_peer) while the live ones keep their peers");
    }

    @Test
    void logLevelsOfTheOriginalAreAccepted() throws Exception {
        assertThat(ConfigLoader.parse(withSection("Log", "{'Level': 'WARNING'}")).config().log().level()).isEqualTo("warn");
        LoadedConfig fatal = ConfigLoader.parse(withSection("Log", "{'Level': 'fatal'}"));
        assertThat(fatal.config().log().level()).isEqualTo("error");
        assertThat(fatal.notes()).contains("Log.Level \"fatal\" logs as \"error\"");
    }

    @Test
    void everyLogKeyIsRead() throws Exception {
        LogConfig log = ConfigLoader.parse(withSection("Log",
                "{'Path': 'log/s.log', 'Level': 'Debug', 'Verbose': true, 'MaxAgeHour': 48, 'RotationTimeHour': 6}"))
                .config().log();

        assertThat(log).isEqualTo(new LogConfig("log/s.log", "debug", true, 48, 6));
    }

    @Test
    void theOriginalsPprofAddressServesTheAdminEndpointWhenAdminIsAbsent() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(withSection("PProf", "{'Open': true, 'ServerAddr': ':6060'}"));

        assertThat(loaded.config().admin()).contains(new AdminConfig(new InetSocketAddress("0.0.0.0", 6060)));
        assertThat(loaded.notes()).contains(
                "PProf.ServerAddr \":6060\" serves the admin endpoint (/metrics, /status, /healthz), since Admin is absent");
    }

    @Test
    void aClosedPprofGivesNoAdminEndpoint() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(withSection("PProf", "{'Open': false, 'ServerAddr': ':6060'}"));

        assertThat(loaded.config().admin()).isEmpty();
        assertThat(loaded.notes()).contains("PProf.Open is false: no admin endpoint");
    }

    @Test
    void adminWinsOverPprof() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(json("{'Admin': {'ListenAddr': '127.0.0.1:2615'}, 'PProf': {'ServerAddr': ':6060'},"
                + " 'Upload': {'DefaultUpstream': 'a', 'Upstreams': [" + UPSTREAM + "]}}"));

        assertThat(loaded.config().admin()).contains(new AdminConfig(new InetSocketAddress("127.0.0.1", 2615)));
        assertThat(loaded.notes()).contains("PProf.ServerAddr: ignored; Admin.ListenAddr serves the admin endpoint");
    }

    @Test
    void commentsOfBothKindsAreAllowedAnywhere() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse("""
                /* leading
                   block */ {
                  // line comment
                  "Upload": { /* inline */ "DefaultUpstream": "a", // trailing
                    "Upstreams": [{"Name": "a", "Type": "rr", "Peers": [{"IP": "127.0.0.2", "Port": 4001}]}]
                  }
                } // after
                """);

        assertThat(loaded.config().upload().upstreams()).hasSize(1);
    }
}
