package io.stevedore.config;

import static io.stevedore.config.ConfigValidationTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetAddress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code Session.SourceAddrs}: local IP literals of the peers' family, each once. */
class SourceAddrsValidationTest {

    private static final String V4_PEERS = "[{'IP': '127.0.0.2', 'Port': 4001}, {'IP': '127.0.0.3', 'Port': 4002}]";
    private static final String V6_PEERS = "[{'IP': '::1', 'Port': 4001}]";

    /** A file with {@code Session.SourceAddrs} set to {@code sources} and one upstream "a" of {@code peers}. */
    private static String file(String sources, String peers) {
        return json("{'Session': {'SourceAddrs': " + sources + "}, 'Upload': {'DefaultUpstream': 'a', "
                + "'Upstreams': [{'Name': 'a', 'Type': 'rr', 'Peers': " + peers + "}]}}");
    }

    static Stream<Arguments> invalidFiles() {
        String unicast = "; expected a local unicast address";
        return Stream.of(
                Arguments.of("not an array", file("'127.0.0.21'", V4_PEERS),
                        "Session.SourceAddrs: \"127.0.0.21\" is not an array; expected [ \"ip\", ... ] of local IP "
                                + "addresses, e.g. [\"127.0.0.21\", \"127.0.0.22\"]"),
                Arguments.of("an entry not a string", file("[21]", V4_PEERS),
                        "Session.SourceAddrs[0]: 21 is not a string; expected an IP address, e.g. \"127.0.0.21\""),
                Arguments.of("a name", file("['127.0.0.21', 'localhost']", V4_PEERS),
                        "Session.SourceAddrs[1]: \"localhost\" is not an IP address; expected an IPv4 or IPv6 literal, "
                                + "e.g. \"127.0.0.21\" (names are not resolved)"),
                Arguments.of("an address with a port", file("['127.0.0.21:5000']", V4_PEERS),
                        "Session.SourceAddrs[0]: \"127.0.0.21:5000\" is not an IP address; expected an IPv4 or IPv6 "
                                + "literal, e.g. \"127.0.0.21\" (names are not resolved)"),
                Arguments.of("a duplicate", file("['127.0.0.21', '127.0.0.22', '127.0.0.21']", V4_PEERS),
                        "Session.SourceAddrs[2]: \"127.0.0.21\" is already Session.SourceAddrs[0]; expected each "
                                + "address once"),
                Arguments.of("a duplicate written as an IPv4-mapped address",
                        file("['127.0.0.21', '::ffff:127.0.0.21']", V4_PEERS),
                        "Session.SourceAddrs[1]: \"::ffff:127.0.0.21\" is already Session.SourceAddrs[0]; expected "
                                + "each address once"),
                Arguments.of("the IPv4 wildcard", file("['0.0.0.0']", V4_PEERS),
                        "Session.SourceAddrs[0]: \"0.0.0.0\" is the wildcard address; expected a specific local "
                                + "address (leave SourceAddrs out for the kernel's choice)"),
                Arguments.of("the IPv6 wildcard", file("['::']", V6_PEERS),
                        "Session.SourceAddrs[0]: \"::\" is the wildcard address; expected a specific local "
                                + "address (leave SourceAddrs out for the kernel's choice)"),
                Arguments.of("an IPv4 multicast address", file("['224.0.0.1']", V4_PEERS),
                        "Session.SourceAddrs[0]: \"224.0.0.1\" is a multicast address" + unicast),
                Arguments.of("an IPv6 multicast address", file("['ff02::1']", V6_PEERS),
                        "Session.SourceAddrs[0]: \"ff02::1\" is a multicast address" + unicast),
                Arguments.of("the broadcast address", file("['255.255.255.255']", V4_PEERS),
                        "Session.SourceAddrs[0]: \"255.255.255.255\" is the broadcast address" + unicast),
                Arguments.of("an IPv6 link-local address", file("['fe80::1']", V6_PEERS),
                        "Session.SourceAddrs[0]: \"fe80::1\" is a link-local IPv6 address, which is bound only with "
                                + "an interface this key cannot name; expected a global or unique-local address"),
                Arguments.of("an IPv6 source for IPv4 peers", file("['127.0.0.21', '::1']", V4_PEERS),
                        "Session.SourceAddrs[1]: \"::1\" is an IPv6 address but the peers are IPv4 (127.0.0.2:4001 "
                                + "of upstream \"a\"); expected an IPv4 address"),
                Arguments.of("an IPv4 source for IPv6 peers", file("['127.0.0.21']", V6_PEERS),
                        "Session.SourceAddrs[0]: \"127.0.0.21\" is an IPv4 address but the peers are IPv6 ([::1]:4001 "
                                + "of upstream \"a\"); expected an IPv6 address"),
                Arguments.of("peers of both families",
                        file("['127.0.0.21']", "[{'IP': '127.0.0.2', 'Port': 4001}, {'IP': '::1', 'Port': 4002}]"),
                        "Session.SourceAddrs: set, but the peers are of both families (IPv4 127.0.0.2:4001 of upstream "
                                + "\"a\", IPv6 [::1]:4002 of upstream \"a\"); expected peers of one family, or no "
                                + "SourceAddrs: a session's one socket reaches both only when bound to the wildcard ::"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void eachInvalidEntryIsOneErrorNamingItsPath(String name, String file, String expected) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e).as(name).isNotNull();
        assertThat(e.errors()).containsExactly(expected);
    }

    @Test
    void everyBadEntryIsReportedAtOnce() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(file("['nowhere', '127.0.0.21', '224.0.0.1', '127.0.0.21', '::1']", V4_PEERS)));

        assertThat(e.errors()).hasSize(4).allSatisfy(error -> assertThat(error).startsWith("Session.SourceAddrs["));
    }

    @Test
    void validAddressesAreKeptInOrderWithANoteOnWhatTheyMustBe() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(file("['127.0.0.23', '127.0.0.21', '::ffff:127.0.0.22']", V4_PEERS));

        assertThat(loaded.config().session().sourceAddrs()).containsExactly(InetAddress.getByName("127.0.0.23"),
                InetAddress.getByName("127.0.0.21"), InetAddress.getByName("127.0.0.22"));
        assertThat(loaded.notes()).contains("Session.SourceAddrs: new session sockets are bound to 3 addresses in "
                + "turn, each a local address of this host that the peers can answer to (for remote peers: an "
                + "address on the route to them)");
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void ipv6SourcesServeIpv6Peers() throws Exception {
        assertThat(ConfigLoader.parse(file("['::1']", V6_PEERS)).config().session().sourceAddrs())
                .containsExactly(InetAddress.getByName("::1"));
    }

    @Test
    void absentNullOrEmptyMeansUnbound() throws Exception {
        String absent = json("{'Upload': {'DefaultUpstream': 'a', 'Upstreams': [{'Name': 'a', 'Type': 'rr', 'Peers': "
                + V4_PEERS + "}]}}");
        assertThat(ConfigLoader.parse(absent).config().session().sourceAddrs()).isEmpty();
        assertThat(ConfigLoader.parse(file("null", V4_PEERS)).config().session().sourceAddrs()).isEmpty();
        LoadedConfig empty = ConfigLoader.parse(file("[]", V4_PEERS));
        assertThat(empty.config().session().sourceAddrs()).isEmpty();
        assertThat(empty.notes()).noneMatch(note -> note.startsWith("Session.SourceAddrs"));
    }

    /** Checked without sending: a config naming a remote peer may only be parsed here. */
    @Test
    void aLoopbackSourceForARemotePeerIsAWarning() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(file("['127.0.0.21']", "[{'IP': '10.0.0.1', 'Port': 4001}]"));

        assertThat(loaded.warnings()).containsExactly("Session.SourceAddrs[0]: \"127.0.0.21\" is a loopback address "
                + "but peer 10.0.0.1:4001 of upstream \"a\" is not: the kernel sends nothing from a loopback address "
                + "to another host");
    }
}
