package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Invalid files: each error names the JSON path, the bad value and what was expected. */
class ConfigValidationTest {

    /** A valid upstream to build invalid files around. */
    private static final String UPSTREAM = "{'Name': 'a', 'Type': 'rr', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}";

    /** {@code json} with single quotes for double ones, which keeps the cases readable. */
    static String json(String text) {
        return text.replace('\'', '"');
    }

    static String withRoute(String keyBytes, String operator, String value) {
        return json("{'Upload': {'DefaultUpstream': 'a', 'Upstreams': [" + UPSTREAM + "], 'Routes': [{'KeyBytes': '"
                + keyBytes + "', 'Operator': '" + operator + "', 'Value': '" + value + "', 'Upstream': 'a'}]}}");
    }

    static String withUpstream(String upstream) {
        return json("{'Upload': {'DefaultUpstream': 'a', 'Upstreams': [" + upstream + "]}}");
    }

    static String withPeers(String peers) {
        return withUpstream("{'Name': 'a', 'Type': 'rr', 'Peers': [" + peers + "]}");
    }

    static String withSection(String name, String body) {
        return json("{'" + name + "': " + body + ", 'Upload': {'DefaultUpstream': 'a', 'Upstreams': [" + UPSTREAM + "]}}");
    }

    static Stream<Arguments> invalidFiles() {
        String form = "expected \"start:end\" with 0 <= start < end, e.g. \"0:4\"";
        return Stream.of(
                Arguments.of("KeyBytes end before start", withRoute("4:2", "==", "0x01"),
                        "Upload.Routes[0].KeyBytes: \"4:2\" ends at 2, not after its start 4; " + form),
                Arguments.of("KeyBytes not numbers", withRoute("a:b", "==", "0x01"),
                        "Upload.Routes[0].KeyBytes: \"a:b\" is not \"start:end\"; " + form),
                Arguments.of("KeyBytes without end", withRoute("4", "==", "0x01"),
                        "Upload.Routes[0].KeyBytes: \"4\" is not \"start:end\"; " + form),
                Arguments.of("KeyBytes negative start", withRoute("-1:2", "==", "0x01"),
                        "Upload.Routes[0].KeyBytes: \"-1:2\" has a negative offset; " + form),
                Arguments.of("KeyBytes beyond BufSize", withRoute("0:5000", "==", "0x01"),
                        "Upload.Routes[0].KeyBytes: \"0:5000\" ends beyond Server.BufSize 4096, so no datagram accepted"
                                + " is long enough; expected an end of at most 4096"),
                Arguments.of("Value not hex", withRoute("0:1", "==", "0xZZ"),
                        "Upload.Routes[0].Value: \"0xZZ\" is not a hex number; expected 0x followed by the digits 0-9 and a-f"),
                Arguments.of("Value not binary", withRoute("0:1", "==", "0b102"),
                        "Upload.Routes[0].Value: \"0b102\" is not a binary number; expected 0b followed by the digits 0 and 1"),
                Arguments.of("Value without digits", withRoute("0:1", "==", "0x"),
                        "Upload.Routes[0].Value: \"0x\" has no digits; expected hex digits after 0x, e.g. \"0x01\""),
                Arguments.of("Value not a number", withRoute("0:1", "==", "v1"),
                        "Upload.Routes[0].Value: \"v1\" is not a number; expected 0x hex, 0b binary or decimal digits, e.g. \"0x01\""),
                Arguments.of("Value wider than its field", withRoute("4:5", "==", "0x0102"),
                        "Upload.Routes[0].Value: \"0x0102\" is 2 bytes but KeyBytes \"4:5\" selects 1 byte"),
                Arguments.of("decimal Value wider than its field", withRoute("0:1", "==", "256"),
                        "Upload.Routes[0].Value: \"256\" is 2 bytes but KeyBytes \"0:1\" selects 1 byte"),
                Arguments.of("binary Value wider than its field", withRoute("0:1", "&=", "0b100000000"),
                        "Upload.Routes[0].Value: \"0b100000000\" is 2 bytes but KeyBytes \"0:1\" selects 1 byte"),
                Arguments.of("unknown Operator", withRoute("0:1", "=~", "0x01"),
                        "Upload.Routes[0].Operator: \"=~\" is not an operator; expected one of"
                                + " ==, !==, !=, |=, !|=, &=, !&=, <, <=, >, >="),
                Arguments.of("chash without KeyBytes",
                        withUpstream("{'Name': 'a', 'Type': 'chash', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].KeyBytes: missing; Type \"chash\" hashes these payload bytes, " + form),
                Arguments.of("TableSize not prime",
                        withUpstream("{'Name': 'a', 'Type': 'chash', 'KeyBytes': '0:4', 'TableSize': 1000,"
                                + " 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].TableSize: 1000 is not a prime; expected a prime (Maglev needs one), such as 997 or 1009"),
                Arguments.of("duplicate peer address",
                        withPeers("{'IP': '127.0.0.2', 'Port': 4001}, {'IP': '127.0.0.3', 'Port': 4001},"
                                + " {'IP': '127.0.0.2', 'Port': 4001}"),
                        "Upload.Upstreams[0].Peers[2]: 127.0.0.2:4001 is already Upload.Upstreams[0].Peers[0];"
                                + " expected each IP:Port once per upstream"),
                Arguments.of("two backups in one upstream",
                        withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'Backup': true}, {'IP': '127.0.0.3', 'Port': 4001},"
                                + " {'IP': '127.0.0.4', 'Port': 4001, 'Backup': true}"),
                        "Upload.Upstreams[0].Peers[2].Backup: true makes a second backup peer (Upload.Upstreams[0].Peers[0]"
                                + " is one); expected at most one backup per upstream"),
                Arguments.of("Weight 0", withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'Weight': 0}"),
                        "Upload.Upstreams[0].Peers[0].Weight: 0 is out of range; expected an integer from 1 to 65535"),
                Arguments.of("Port 70000", withPeers("{'IP': '127.0.0.2', 'Port': 70000}"),
                        "Upload.Upstreams[0].Peers[0].Port: 70000 is out of range; expected a port from 1 to 65535"),
                Arguments.of("Port as a string", withPeers("{'IP': '127.0.0.2', 'Port': '4001'}"),
                        "Upload.Upstreams[0].Peers[0].Port: \"4001\" is not an integer; expected a port from 1 to 65535"),
                Arguments.of("peer IP is a name", withPeers("{'IP': 'backend.example', 'Port': 4001}"),
                        "Upload.Upstreams[0].Peers[0].IP: \"backend.example\" is not an IP address; expected an IPv4 or"
                                + " IPv6 literal, e.g. \"127.0.0.2\" (names are not resolved)"),
                Arguments.of("unknown Type",
                        withUpstream("{'Name': 'a', 'Type': 'maglev', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].Type: \"maglev\" is not a balancing type; expected \"rr\", \"chash\" or \"quic\""),
                Arguments.of("duplicate upstream name", withUpstream(UPSTREAM + ", " + UPSTREAM.replace("127.0.0.2", "127.0.0.3")),
                        "Upload.Upstreams[1].Name: \"a\" is already the name of Upload.Upstreams[0]; expected a unique name"),
                Arguments.of("ListenAddr without port", withSection("Server", "{'ListenAddr': '127.0.0.1'}"),
                        "Server.ListenAddr: \"127.0.0.1\" has no port; expected ip:port or [ipv6]:port, e.g. \"0.0.0.0:2614\""),
                Arguments.of("ListenAddr with a bad address", withSection("Server", "{'ListenAddr': '127.0.0.300:2614'}"),
                        "Server.ListenAddr: \"127.0.0.300:2614\": \"127.0.0.300\" is not an IP address; expected an IP"
                                + " literal (names are not resolved) in ip:port or [ipv6]:port, e.g. \"0.0.0.0:2614\""),
                Arguments.of("ListenAddr with IPv6 unbracketed", withSection("Server", "{'ListenAddr': '::1:2614'}"),
                        "Server.ListenAddr: \"::1:2614\" is ambiguous: an IPv6 address needs brackets;"
                                + " expected ip:port or [ipv6]:port, e.g. \"0.0.0.0:2614\""),
                Arguments.of("BufSize above 65535", withSection("Server", "{'BufSize': 65536}"),
                        "Server.BufSize: 65536 is out of range; expected an integer from 1 to 65535"),
                Arguments.of("a listener's receive buffer below 4 KiB", withSection("Server", "{'RecvBufBytes': 1024}"),
                        "Server.RecvBufBytes: 1024 is out of range; expected an integer from 4096 to 1073741824"),
                Arguments.of("a listener's flood buffer below 4 KiB", withSection("Server", "{'FloodRecvBufBytes': 0}"),
                        "Server.FloodRecvBufBytes: 0 is out of range; expected an integer from 4096 to 1073741824"),
                Arguments.of("a session's receive buffer above 1 GiB",
                        withSection("Session", "{'RecvBufBytes': 2147483647}"),
                        "Session.RecvBufBytes: 2147483647 is out of range; expected an integer from 4096 to 1073741824"),
                Arguments.of("AdaptiveBatch not a boolean", withSection("Server", "{'AdaptiveBatch': 'on'}"),
                        "Server.AdaptiveBatch: \"on\" is not a boolean; expected true or false"),
                Arguments.of("a receive buffer that is not an integer", withSection("Session", "{'RecvBufBytes': '1m'}"),
                        "Session.RecvBufBytes: \"1m\" is not an integer; expected an integer from 4096 to 1073741824"),
                Arguments.of("negative TimeoutSec", withSection("Session", "{'TimeoutSec': -5}"),
                        "Session.TimeoutSec: -5 is out of range; expected an integer of at least 1"),
                Arguments.of("fractional BatchSize", withSection("Server", "{'BatchSize': 2.5}"),
                        "Server.BatchSize: 2.5 is not an integer; expected an integer from 1 to 1024"),
                Arguments.of("the largest BatchSize with the largest BufSize",
                        withSection("Server", "{'BatchSize': 1024, 'BufSize': 65535}"),
                        "Server.BatchSize: 1024 slots of Server.BufSize 65535 + 1 bytes make each listening socket's"
                                + " read buffer 67108864 bytes (64 MiB); expected at most 8388608 bytes (8 MiB):"
                                + " BatchSize at most 128 with this BufSize, or BufSize at most 8191 with this BatchSize"),
                Arguments.of("a read buffer just over the bound",
                        withSection("Server", "{'BatchSize': 129, 'BufSize': 65535}"),
                        "Server.BatchSize: 129 slots of Server.BufSize 65535 + 1 bytes make each listening socket's"
                                + " read buffer 8454144 bytes (8.1 MiB); expected at most 8388608 bytes (8 MiB):"
                                + " BatchSize at most 128 with this BufSize, or BufSize at most 65026 with this BatchSize"),
                Arguments.of("health timeout longer than the interval",
                        withUpstream("{'Name': 'a', 'Type': 'rr', 'HealthChecker': {'HeartbeatIntervalSec': 2},"
                                + " 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].HealthChecker.HeartbeatTimeoutSec: 3 (the default) is longer than"
                                + " HeartbeatIntervalSec 2; expected at most the interval, so a probe ends before the next one starts"),
                Arguments.of("odd hex probe payload",
                        withUpstream("{'Name': 'a', 'Type': 'rr', 'HealthChecker': {'Send': '0xabc'},"
                                + " 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].HealthChecker.Send: \"0xabc\" has an odd number of hex digits;"
                                + " expected whole bytes, two digits each"),
                Arguments.of("unknown Affinity",
                        withUpstream("{'Name': 'a', 'Type': 'rr', 'Affinity': 'sticky', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].Affinity: \"sticky\" is not an affinity; expected \"packet\" (a peer per datagram)"
                                + " or \"session\" (a peer per session)"),
                Arguments.of("access log path with a pattern", withSection("Log", "{'AccessPath': 'access-%d.log'}"),
                        "Log.AccessPath: \"access-%d.log\" contains '%'; expected a file path without '%' (rotated files "
                                + "are named after it)"),
                Arguments.of("access log into the main log", withSection("Log",
                                "{'Path': 'log/stevedore.log', 'AccessPath': 'log/stevedore.log'}"),
                        "Log.AccessPath: \"log/stevedore.log\" is Log.Path; expected a file of its own"),
                Arguments.of("unknown log level", withSection("Log", "{'Level': 'loud'}"),
                        "Log.Level: \"loud\" is not a log level; expected one of trace, debug, info, warn, error"),
                Arguments.of("Latch not a boolean",
                        withUpstream("{'Name': 'a', 'Type': 'rr', 'Latch': 'yes', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].Latch: \"yes\" is not a boolean; expected true or false"),
                Arguments.of("ProxyProtocol of an unknown version",
                        withUpstream("{'Name': 'a', 'Type': 'rr', 'ProxyProtocol': 'v1', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].ProxyProtocol: \"v1\" is not a PROXY protocol version for UDP; expected \"v2\""
                                + " (a PROXY protocol version 2 header on every datagram), or no key for none"),
                Arguments.of("ProxyProtocol not a string",
                        withUpstream("{'Name': 'a', 'Type': 'rr', 'ProxyProtocol': true, 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        "Upload.Upstreams[0].ProxyProtocol: true is not a string; expected \"v2\""
                                + " (a PROXY protocol version 2 header on every datagram), or no key for none"),
                Arguments.of("ProxyProtocolFrom with a prefix too long", withSection("Server",
                                "{'ProxyProtocolFrom': ['127.0.0.0/8', '127.0.0.0/33']}"),
                        "Server.ProxyProtocolFrom[1]: \"127.0.0.0/33\" is not an address block; expected an address block"
                                + " ip/prefix or an IP address, e.g. \"127.0.0.0/8\" or \"::1\""),
                Arguments.of("ProxyProtocolFrom with a name", withSection("Server", "{'ProxyProtocolFrom': ['front.example/24']}"),
                        "Server.ProxyProtocolFrom[0]: \"front.example/24\" is not an address block; expected an address block"
                                + " ip/prefix or an IP address, e.g. \"127.0.0.0/8\" or \"::1\""),
                Arguments.of("ProxyProtocolFrom with a number", withSection("Server", "{'ProxyProtocolFrom': [8]}"),
                        "Server.ProxyProtocolFrom[0]: 8 is not a string; expected an address block"
                                + " ip/prefix or an IP address, e.g. \"127.0.0.0/8\" or \"::1\""),
                Arguments.of("ProxyProtocolFrom not an array", withSection("Server", "{'ProxyProtocolFrom': '127.0.0.0/8'}"),
                        "Server.ProxyProtocolFrom: \"127.0.0.0/8\" is not an array; expected [ \"ip/prefix\", ... ] of the"
                                + " front tier's addresses, e.g. [\"127.0.0.0/8\"]"),
                Arguments.of("Drain not a boolean", withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'Drain': 1}"),
                        "Upload.Upstreams[0].Peers[0].Drain: 1 is not a boolean; expected true or false"),
                Arguments.of("no peers", withUpstream("{'Name': 'a', 'Type': 'rr', 'Peers': []}"),
                        "Upload.Upstreams[0].Peers: [] is empty; expected at least one peer { \"IP\": ..., \"Port\": ... }"),
                Arguments.of("no Upload", json("{'Server': {}}"),
                        "Upload: missing; expected { \"Upstreams\": [ ... ] }, with optional Routes and DefaultUpstream"),
                Arguments.of("a key written twice in two cases",
                        withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'port': 4002}"),
                        "Upload.Upstreams[0].Peers[0].Port: set twice, as \"Port\" and \"port\"; expected the key once"),
                Arguments.of("Admin without ListenAddr", withSection("Admin", "{}"),
                        "Admin.ListenAddr: missing; expected ip:port or [ipv6]:port, e.g. \"127.0.0.1:2615\""),
                Arguments.of("a section that is not an object", withSection("Session", "30"),
                        "Session: 30 is not an object; expected { ... } with the keys TimeoutSec, RecycleIntervalSec, MaxSessions,"
                                + " SourceAddrs, RecvBufBytes"),
                Arguments.of("the file is an array", "[1, 2]",
                        "the file holds [1,2], not an object; expected a JSON object with at least an Upload section"),
                Arguments.of("the file is only a comment", "// nothing here\n",
                        "the file is empty; expected a JSON object with at least an Upload section"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void eachInvalidValueIsOneErrorNamingPathValueAndExpectation(String name, String file, String expected) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e).as(name).isNotNull();
        assertThat(e.errors()).containsExactly(expected);
        assertThat(e.getStackTrace()).isEmpty();
    }

    @Test
    void aReadBufferOfExactlyTheBoundIsAccepted() throws Exception {
        ServerConfig largestBuf = ConfigLoader.parse(withSection("Server", "{'BatchSize': 128, 'BufSize': 65535}"))
                .config().server();
        ServerConfig largestBatch = ConfigLoader.parse(withSection("Server", "{'BatchSize': 1024, 'BufSize': 8191}"))
                .config().server();

        assertThat(largestBuf.batchSize() * (largestBuf.bufSize() + 1)).isEqualTo(8 << 20);
        assertThat(largestBatch.batchSize() * (largestBatch.bufSize() + 1)).isEqualTo(8 << 20);
    }

    @Test
    void malformedJsonNamesLineAndColumn() {
        String file = "{\n  \"Upload\": {\n    \"Upstreams\": [\n      { \"Name\": \"a\" \"Type\": \"rr\" }\n    ]\n  }\n}\n";

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e.errors()).singleElement().asString()
                .startsWith("malformed JSON at line 4, column 21: Unexpected character ('\"' (code 34))");
    }

    @Test
    void malformedJsonAfterACommentStillCountsLines() {
        String file = "// header\n/* two\n   lines */\n{ \"Upload\": { ] }\n";

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e.errors()).singleElement().asString().startsWith("malformed JSON at line 4, column 15: ");
    }

    @Test
    void anExactlyRepeatedKeyIsMalformed() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'Port': 4002}")));

        assertThat(e.errors()).singleElement().asString().startsWith("malformed JSON at line 1, column ").contains("Duplicate field 'Port'");
    }

    @Test
    void everyErrorOfAFileIsReportedTogetherInFileOrder() {
        String file = json("""
                {
                  'Server': {'BufSize': 0, 'ListenAddr': 'nowhere'},
                  'Session': {'TimeoutSec': -1},
                  'Upload': {
                    'DefaultUpstream': 'a',
                    'Upstreams': [{'Name': 'a', 'Type': 'chash', 'KeyBytes': '2:1',
                                   'Peers': [{'IP': '127.0.0.2', 'Port': 0}, {'IP': '127.0.0.2', 'Weight': -3}]}],
                    'Routes': [{'KeyBytes': '0:1', 'Operator': '==', 'Value': '0xZZ', 'Upstream': 'a'}]
                  }
                }
                """);

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e.errors()).containsExactly(
                "Server.ListenAddr: \"nowhere\" has no port; expected ip:port or [ipv6]:port, e.g. \"0.0.0.0:2614\"",
                "Server.BufSize: 0 is out of range; expected an integer from 1 to 65535",
                "Session.TimeoutSec: -1 is out of range; expected an integer of at least 1",
                "Upload.Upstreams[0].KeyBytes: \"2:1\" ends at 1, not after its start 2;"
                        + " expected \"start:end\" with 0 <= start < end, e.g. \"0:4\"",
                "Upload.Upstreams[0].Peers[0].Port: 0 is out of range; expected a port from 1 to 65535",
                "Upload.Upstreams[0].Peers[1].Port: missing; expected a port from 1 to 65535",
                "Upload.Upstreams[0].Peers[1].Weight: -3 is out of range; expected an integer from 1 to 65535",
                "Upload.Routes[0].Value: \"0xZZ\" is not a hex number; expected 0x followed by the digits 0-9 and a-f");
        assertThat(e.getMessage()).hasLineCount(8);
    }

    @Test
    void anUnknownKeyComesBeforeTheErrorItCauses() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(withUpstream("{'Name': 'a', 'Type': 'rr', 'Peer': [{'IP': '127.0.0.2', 'Port': 4001}]}")));

        assertThat(e.errors()).containsExactly(
                "Upload.Upstreams[0].Peer: unknown key, did you mean \"Peers\"?",
                "Upload.Upstreams[0].Peers: missing; expected at least one peer { \"IP\": ..., \"Port\": ... }");
        assertThat(e.warnings()).isEmpty();
    }

    @Test
    void aMissingFileIsOneClearError(@TempDir Path dir) {
        Path missing = dir.resolve("nope.json");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(missing));

        assertThat(e.errors()).containsExactly(missing + ": no such file");
    }

    @Test
    void aFileThatIsNotUtf8IsOneClearError(@TempDir Path dir) throws Exception {
        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, new byte[] {'{', '"', (byte) 0xe9, '"', ':', '1', '}'});

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(latin1));

        assertThat(e.errors()).containsExactly(latin1 + ": not UTF-8 text; expected a JSON file in UTF-8");
    }
}
