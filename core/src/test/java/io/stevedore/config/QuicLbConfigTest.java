package io.stevedore.config;

import static io.stevedore.config.ConfigValidationTest.withPeers;
import static io.stevedore.config.ConfigValidationTest.withUpstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stevedore.quic.QuicLbConfig;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code "Type": "quic"}: the QuicLB list and the peers' ServerId, valid and each mistake with its path. */
class QuicLbConfigTest {

    private static final String KEY = "0x" + "00112233445566778899aabbccddeeff";
    private static final String PEERS = "'Peers': [{'IP': '127.0.0.2', 'Port': 4001, 'ServerId': '0x0a0b0c'},"
            + " {'IP': '127.0.0.3', 'Port': 4001, 'ServerId': '0x0a0b0d'}]";

    private static String quic(String quicLb, String peers) {
        return withUpstream("{'Name': 'a', 'Type': 'quic', 'QuicLB': " + quicLb + ", " + peers + "}");
    }

    private static String quic(String quicLb) {
        return quic(quicLb, PEERS);
    }

    @Test
    void aQuicUpstreamBindsItsConfigurationsAndServerIds() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(quic("[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 4},"
                + " {'ConfigId': 1, 'ServerIdLength': 3, 'NonceLength': 13, 'Key': '" + KEY + "'}]"));

        UpstreamConfig upstream = loaded.config().upload().upstreams().get(0);
        assertThat(upstream.type()).isEqualTo(BalanceType.QUIC);
        assertThat(upstream.quicLb()).containsExactly(QuicLbConfig.plaintext(0, 3, 4),
                new QuicLbConfig(1, 3, 13, HexFormat.of().parseHex(KEY.substring(2))));
        assertThat(upstream.peers()).extracting(p -> HexFormat.of().formatHex(p.serverId()))
                .containsExactly("0a0b0c", "0a0b0d");
        assertThat(upstream.tableSize()).as("the fallback's Maglev table").isEqualTo(65537);
        assertThat(loaded.warnings()).isEmpty();
    }

    @Test
    void twoLoadsOfOneQuicFileAreEqual() throws Exception {
        String file = quic("[{'ConfigId': 2, 'ServerIdLength': 3, 'NonceLength': 12, 'Key': '" + KEY + "'}]");

        assertThat(ConfigLoader.parse(file).config()).isEqualTo(ConfigLoader.parse(file).config());
    }

    static Stream<Arguments> invalidFiles() {
        String plain = "[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 4}]";
        String at = "Upload.Upstreams[0].";
        return Stream.of(
                Arguments.of("quic without QuicLB", withUpstream("{'Name': 'a', 'Type': 'quic', " + PEERS + "}"),
                        at + "QuicLB: missing; Type \"quic\" reads the server ID in each connection ID by these, expected"
                                + " [ { \"ConfigId\": 0, \"ServerIdLength\": 3, \"NonceLength\": 4 }, ... ], with \"Key\""
                                + " for encrypted connection IDs"),
                Arguments.of("QuicLB empty", quic("[]"),
                        at + "QuicLB: [] is empty; expected [ { \"ConfigId\": 0, \"ServerIdLength\": 3, \"NonceLength\": 4 },"
                                + " ... ], with \"Key\" for encrypted connection IDs"),
                Arguments.of("QuicLB not an array", quic("{'ConfigId': 0}"),
                        at + "QuicLB: {\"ConfigId\":0} is not an array; expected [ { ... }, ... ]"),
                Arguments.of("ConfigId 7", quic("[{'ConfigId': 7, 'ServerIdLength': 3, 'NonceLength': 4}]"),
                        at + "QuicLB[0].ConfigId: 7 is out of range; expected a config ID from 0 to 6"),
                Arguments.of("ConfigId missing", quic("[{'ServerIdLength': 3, 'NonceLength': 4}]"),
                        at + "QuicLB[0].ConfigId: missing; expected a config ID from 0 to 6 (the top three bits of each"
                                + " connection ID's first byte)"),
                Arguments.of("ConfigId twice", quic("[{'ConfigId': 1, 'ServerIdLength': 3, 'NonceLength': 4},"
                                + " {'ConfigId': 1, 'ServerIdLength': 3, 'NonceLength': 5}]"),
                        at + "QuicLB[1].ConfigId: 1 is already the ConfigId of " + at + "QuicLB[0]; expected each config ID"
                                + " once per upstream"),
                Arguments.of("ServerIdLength 0", quic("[{'ConfigId': 0, 'ServerIdLength': 0, 'NonceLength': 4}]"),
                        at + "QuicLB[0].ServerIdLength: 0 is out of range; expected a length in bytes from 1 to 15"),
                Arguments.of("NonceLength 3", quic("[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 3}]"),
                        at + "QuicLB[0].NonceLength: 3 is out of range; expected a length in bytes from 4 to 18"),
                Arguments.of("NonceLength missing", quic("[{'ConfigId': 0, 'ServerIdLength': 3}]"),
                        at + "QuicLB[0].NonceLength: missing; expected a length in bytes from 4 to 18"),
                Arguments.of("lengths above 19", quic("[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 17}]"),
                        at + "QuicLB[0].NonceLength: 17 with ServerIdLength 3 makes 20 bytes; expected at most 19 together"
                                + " (a connection ID is at most 20 bytes, one of them the first)"),
                Arguments.of("two server ID lengths", quic("[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 4},"
                                + " {'ConfigId': 1, 'ServerIdLength': 4, 'NonceLength': 4}]"),
                        at + "QuicLB[1].ServerIdLength: 4 differs from " + at + "QuicLB[0].ServerIdLength 3; expected one"
                                + " length for the upstream, since each peer has one ServerId"),
                Arguments.of("Key of 15 bytes", quic("[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 4, 'Key': '"
                                + KEY.substring(0, 32) + "'}]"),
                        at + "QuicLB[0].Key: is not 16 bytes of hex (the value is not shown: it is a secret); expected 0x"
                                + " followed by 32 hex digits (an AES-128 key), or no Key for plaintext server IDs"),
                Arguments.of("Key as text", quic("[{'ConfigId': 0, 'ServerIdLength': 3, 'NonceLength': 4,"
                                + " 'Key': 'sixteen byte key'}]"),
                        at + "QuicLB[0].Key: is not 16 bytes of hex (the value is not shown: it is a secret); expected 0x"
                                + " followed by 32 hex digits (an AES-128 key), or no Key for plaintext server IDs"),
                Arguments.of("QuicLB on rr", withUpstream("{'Name': 'a', 'Type': 'rr', 'QuicLB': " + plain + ", "
                                + "'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}"),
                        at + "QuicLB: set, but Type is \"rr\"; expected QuicLB only with Type \"quic\""),
                Arguments.of("ServerId on rr", withPeers("{'IP': '127.0.0.2', 'Port': 4001, 'ServerId': '0x0a0b0c'}"),
                        at + "Peers[0].ServerId: set, but the upstream's Type is \"rr\"; expected ServerId only in a Type"
                                + " \"quic\" upstream"),
                Arguments.of("ServerId missing", quic(plain, "'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]"),
                        at + "Peers[0].ServerId: missing; Type \"quic\" sends a connection to the peer whose server ID it"
                                + " carries, expected 0x followed by 3 bytes of hex (QuicLB's ServerIdLength)"),
                Arguments.of("ServerId too short", quic(plain, "'Peers': [{'IP': '127.0.0.2', 'Port': 4001, 'ServerId': '0x0a0b'}]"),
                        at + "Peers[0].ServerId: \"0x0a0b\" is 2 bytes; expected 0x followed by 3 bytes of hex (QuicLB's"
                                + " ServerIdLength)"),
                Arguments.of("ServerId decimal", quic(plain, "'Peers': [{'IP': '127.0.0.2', 'Port': 4001, 'ServerId': '123'}]"),
                        at + "Peers[0].ServerId: \"123\" is not 0x followed by hex bytes, e.g. \"0x0a0b\""),
                Arguments.of("ServerId twice", quic(plain, "'Peers': [{'IP': '127.0.0.2', 'Port': 4001, 'ServerId': '0x0a0b0c'},"
                                + " {'IP': '127.0.0.3', 'Port': 4001, 'ServerId': '0x0A0B0C'}]"),
                        at + "Peers[1].ServerId: \"0x0A0B0C\" is already the ServerId of " + at + "Peers[0]; expected each"
                                + " server ID once per upstream"),
                Arguments.of("Affinity session on quic", withUpstream("{'Name': 'a', 'Type': 'quic', 'QuicLB': " + plain
                                + ", 'Affinity': 'session', " + PEERS + "}"),
                        at + "Affinity: \"session\" does not apply to Type \"quic\", which keeps each connection on the"
                                + " server its connection ID names; expected \"packet\" or no Affinity"),
                Arguments.of("Resolve on quic", withUpstream("{'Name': 'a', 'Type': 'quic', 'QuicLB': " + plain
                                + ", 'Resolve': {'Name': 'b.example', 'Type': 'A', 'Port': 4001}, " + PEERS + "}"),
                        at + "Resolve: set on Type \"quic\", whose peers each need their ServerId; expected Peers alone"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFiles")
    void eachMistakeIsOneErrorNamingItsPath(String name, String file, String expected) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file));

        assertThat(e).as(name).isNotNull();
        assertThat(e.errors()).containsExactly(expected);
    }
}
