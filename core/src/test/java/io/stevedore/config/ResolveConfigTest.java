package io.stevedore.config;

import static io.stevedore.config.ConfigValidationTest.json;
import static io.stevedore.config.ConfigValidationTest.withUpstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stevedore.discovery.RecordType;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code Upstream.Resolve}: how it binds, and each mistake as one error naming its JSON path. */
class ResolveConfigTest {

    private static final String PATH = "Upload.Upstreams[0].Resolve";

    /** An rr upstream with {@code resolve} for its Resolve and no Peers. */
    private static String resolving(String resolve) {
        return withUpstream("{'Name': 'a', 'Type': 'rr', 'Resolve': " + resolve + "}");
    }

    @Test
    void anARecordNameWithAPortNeedsNoPeersAndTakesTheDefaults() throws Exception {
        UpstreamConfig upstream = ConfigLoader.parse(resolving("{'Name': 'backends.example.', 'Type': 'A', 'Port': 9001}"))
                .config().upload().upstreams().get(0);

        assertThat(upstream.peers()).isEmpty();
        assertThat(upstream.resolve()).contains(new ResolveConfig("backends.example.", RecordType.A, 9001, List.of(), 30));
    }

    @Test
    void srvWithServersAndAnIntervalBesideThePeersOfTheFile() throws Exception {
        UpstreamConfig upstream = ConfigLoader.parse(withUpstream("{'Name': 'a', 'Type': 'chash', 'KeyBytes': '0:4',"
                        + " 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}], 'Resolve': {'Name': '_game._udp.example',"
                        + " 'Type': 'srv', 'Servers': ['127.0.0.53:53', '[::1]:5353'], 'IntervalSec': 10}}"))
                .config().upload().upstreams().get(0);

        assertThat(upstream.peers()).extracting(PeerConfig::origin).containsExactly(PeerConfig.FILE);
        ResolveConfig resolve = upstream.resolve().orElseThrow();
        assertThat(resolve.type()).isEqualTo(RecordType.SRV);
        assertThat(resolve.port()).isZero();
        assertThat(resolve.servers()).containsExactly(new InetSocketAddress("127.0.0.53", 53),
                new InetSocketAddress("::1", 5353));
        assertThat(resolve.intervalSec()).isEqualTo(10);
        assertThat(resolve.origin()).isEqualTo("SRV _game._udp.example");
    }

    static Stream<Arguments> mistakes() {
        String types = "expected \"A\", \"AAAA\" or \"SRV\"";
        String server = "expected ip:port or [ipv6]:port, e.g. \"127.0.0.53:53\"";
        return Stream.of(
                Arguments.of("Resolve not an object", resolving("'backends.example.'"),
                        PATH + ": \"backends.example.\" is not an object; expected { ... } with the keys Name, Type, Port, "
                                + "Servers, IntervalSec"),
                Arguments.of("no Name", resolving("{'Type': 'A', 'Port': 9001}"),
                        PATH + ".Name: missing; expected the DNS name whose records name the peers, e.g. "
                                + "\"backends.example.\""),
                Arguments.of("Name not a string", resolving("{'Name': 7, 'Type': 'A', 'Port': 9001}"),
                        PATH + ".Name: 7 is not a string; expected a DNS name, e.g. \"backends.example.\""),
                Arguments.of("Name not a DNS name", resolving("{'Name': 'back ends..example', 'Type': 'A', 'Port': 9001}"),
                        PATH + ".Name: \"back ends..example\" is not a DNS name; expected dot-separated labels of letters, "
                                + "digits, '-' and '_', each of 1 to 63 characters, at most 253 in all, e.g. "
                                + "\"backends.example.\""),
                Arguments.of("a label over 63 characters", resolving("{'Name': '" + "x".repeat(64)
                                + ".example', 'Type': 'A', 'Port': 9001}"),
                        PATH + ".Name: \"" + "x".repeat(56) + "... is not a DNS name; expected dot-separated labels of "
                                + "letters, digits, '-' and '_', each of 1 to 63 characters, at most 253 in all, e.g. "
                                + "\"backends.example.\""),
                Arguments.of("no Type", resolving("{'Name': 'backends.example.', 'Port': 9001}"),
                        PATH + ".Type: missing; " + types),
                Arguments.of("unknown Type", resolving("{'Name': 'backends.example.', 'Type': 'CNAME', 'Port': 9001}"),
                        PATH + ".Type: \"CNAME\" is not a record type; " + types),
                Arguments.of("A without Port", resolving("{'Name': 'backends.example.', 'Type': 'A'}"),
                        PATH + ".Port: missing; Type \"A\" records give addresses only, expected the peers' port from 1 "
                                + "to 65535"),
                Arguments.of("AAAA without Port", resolving("{'Name': 'backends.example.', 'Type': 'AAAA'}"),
                        PATH + ".Port: missing; Type \"AAAA\" records give addresses only, expected the peers' port "
                                + "from 1 to 65535"),
                Arguments.of("SRV with Port", resolving("{'Name': '_s._udp.example', 'Type': 'SRV', 'Port': 9001}"),
                        PATH + ".Port: 9001 is set, but SRV records give each target's port; expected no Port with "
                                + "Type \"SRV\""),
                Arguments.of("Port out of range", resolving("{'Name': 'backends.example.', 'Type': 'A', 'Port': 70000}"),
                        PATH + ".Port: 70000 is out of range; expected a port from 1 to 65535"),
                Arguments.of("Servers not a list", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, "
                                + "'Servers': '127.0.0.53:53'}"),
                        PATH + ".Servers: \"127.0.0.53:53\" is not a list of servers; expected [ \"ip:port\", ... ], e.g. "
                                + "[\"127.0.0.53:53\"], or no Servers for the system's resolvers"),
                Arguments.of("Servers empty", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, 'Servers': []}"),
                        PATH + ".Servers: [] is not a list of servers; expected [ \"ip:port\", ... ], e.g. "
                                + "[\"127.0.0.53:53\"], or no Servers for the system's resolvers"),
                Arguments.of("a server without a port", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, "
                                + "'Servers': ['127.0.0.53:53', '127.0.0.54']}"),
                        PATH + ".Servers[1]: \"127.0.0.54\" has no port; " + server),
                Arguments.of("a server not a string", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, "
                                + "'Servers': [53]}"),
                        PATH + ".Servers[0]: 53 is not a string; " + server),
                Arguments.of("a wildcard server", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, "
                                + "'Servers': ['0.0.0.0:53']}"),
                        PATH + ".Servers[0]: \"0.0.0.0:53\" is not a server's address; expected a specific IP and a port "
                                + "from 1 to 65535, e.g. \"127.0.0.53:53\""),
                Arguments.of("a server twice", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, "
                                + "'Servers': ['127.0.0.53:53', '127.0.0.53:53']}"),
                        PATH + ".Servers[1]: \"127.0.0.53:53\" is listed twice; expected each server once"),
                Arguments.of("IntervalSec zero", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, "
                                + "'IntervalSec': 0}"),
                        PATH + ".IntervalSec: 0 is out of range; expected an integer from 1 to 86400"),
                Arguments.of("an unknown key", resolving("{'Name': 'b.example', 'Type': 'A', 'Port': 1, 'Ttl': 5}"),
                        PATH + ".Ttl: unknown key, did you mean \"Type\"?"),
                Arguments.of("neither Peers nor Resolve", withUpstream("{'Name': 'a', 'Type': 'rr'}"),
                        "Upload.Upstreams[0].Peers: missing; expected at least one peer { \"IP\": ..., \"Port\": ... }"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void eachMistakeIsOneErrorNamingItsPath(String name, String file, String expected) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e).as(name).isNotNull();
        assertThat(e.errors()).as(name).containsExactly(expected);
    }

    @Test
    void emptyPeersBesideResolveAreNoError() throws Exception {
        UpstreamConfig upstream = ConfigLoader.parse(json("{'Upload': {'DefaultUpstream': 'a', 'Upstreams': [{'Name': 'a',"
                + " 'Type': 'rr', 'Peers': [], 'Resolve': {'Name': 'b.example', 'Type': 'AAAA', 'Port': 53}}]}}"))
                .config().upload().upstreams().get(0);

        assertThat(upstream.peers()).isEmpty();
        assertThat(upstream.resolve().orElseThrow().type()).isEqualTo(RecordType.AAAA);
    }
}
