package io.stevedore.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The test vectors of draft-ietf-quic-load-balancers-21 (appendix "Load Balancer Test Vectors" and
 * the worked four-pass example), then round trips over every length the draft allows.
 */
class ServerIdCodecTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] VECTOR_KEY = HEX.parseHex("8f95f09245765f80256934e50c66207f");

    private static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    /**
     * The appendix's unencrypted CIDs. Its second row is malformed (a nonce of nine hex digits, a
     * first octet that cannot carry the row's lengths); what its bytes say is config 1, a server
     * ID of five octets, a nonce of five.
     */
    @ParameterizedTest
    @CsvSource({
        "0, 3, 4, c4605e, 4504cc4f, 07c4605e4504cc4f",
        "1, 5, 5, a350d28b42, 03487d970b, 20a350d28b4203487d970b",
    })
    void plaintextVectors(int configId, int idLength, int nonceLength, String sid, String nonce, String cid) {
        ServerIdCodec codec = new ServerIdCodec(QuicLbConfig.plaintext(configId, idLength, nonceLength));
        assertThat(decode(codec, hex(cid))).isEqualTo(hex(sid));
        assertThat(ConnectionIds.configId(hex(cid)[0])).isEqualTo(configId);
        byte[] encoded = codec.encode(hex(sid), hex(nonce), false);
        assertThat(HEX.formatHex(encoded).substring(2)).isEqualTo(cid.substring(2));
    }

    /**
     * The appendix's encrypted CIDs: four passes with the server ID inside left_0, four passes with
     * a fourth decryption pass (a server ID longer than the nonce), the single-pass block, and an
     * odd 18 octets. The last row is labelled config 3 while its first octet, 0x12, says config 0.
     */
    @ParameterizedTest
    @CsvSource({
        "0, ed793a, ee080dbf, 0720b1d07b359d3c",
        "1, ed793a51d49b8f5fab65, ee080dbf48, 2fcc381bc74cb4fbad2823a3d1f8fed2",
        "2, ed793a51d49b8f5f, ee080dbf48c0d1e5, 504dd2d05a7b0de9b2b9907afb5ecf8cc3",
        "0, ed793a51d49b8f5fab, ee080dbf48c0d1e55d, 125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc",
    })
    void encryptedVectors(int configId, String sid, String nonce, String cid) {
        QuicLbConfig config = new QuicLbConfig(configId, hex(sid).length, hex(nonce).length, VECTOR_KEY);
        ServerIdCodec codec = new ServerIdCodec(config);
        assertThat(ConnectionIds.configId(hex(cid)[0])).isEqualTo(configId);
        assertThat(HEX.formatHex(decode(codec, hex(cid)))).isEqualTo(sid);
        assertThat(HEX.formatHex(codec.encode(hex(sid), hex(nonce), true))).isEqualTo(cid);
    }

    /** The draft's step-by-step four-pass example: seven octets, so the middle one is split. */
    @Test
    void workedFourPassExample() {
        QuicLbConfig config = new QuicLbConfig(0, 3, 4, hex("fdf726a9893ec05c0632d3956680baf0"));
        ServerIdCodec codec = new ServerIdCodec(config);
        assertThat(HEX.formatHex(codec.encode(hex("31441a"), hex("9c69c275"), true))).isEqualTo("0767947d29be054a");
        assertThat(HEX.formatHex(decode(codec, hex("0767947d29be054a")))).isEqualTo("31441a");
    }

    @Test
    void everyAllowedLengthRoundTripsWithAndWithoutAKey() {
        Random random = new Random(16);
        for (int idLength = 1; idLength <= QuicLbConfig.MAX_PLAINTEXT_LENGTH - QuicLbConfig.MIN_NONCE_LENGTH;
                idLength++) {
            for (int nonceLength = QuicLbConfig.MIN_NONCE_LENGTH;
                    idLength + nonceLength <= QuicLbConfig.MAX_PLAINTEXT_LENGTH; nonceLength++) {
                byte[] key = new byte[16];
                random.nextBytes(key);
                for (byte[] k : new byte[][] {null, key}) {
                    int configId = random.nextInt(QuicLbConfig.UNROUTABLE_CONFIG);
                    ServerIdCodec codec = new ServerIdCodec(new QuicLbConfig(configId, idLength, nonceLength, k));
                    for (int i = 0; i < 200; i++) {
                        byte[] sid = new byte[idLength];
                        byte[] nonce = new byte[nonceLength];
                        random.nextBytes(sid);
                        random.nextBytes(nonce);
                        byte[] cid = codec.encode(sid, nonce, random.nextBoolean());
                        assertThat(cid).hasSize(1 + idLength + nonceLength);
                        assertThat(ConnectionIds.configId(cid[0])).isEqualTo(configId);
                        assertThat(decode(codec, cid)).as("%d + %d octets, key %s", idLength, nonceLength, k != null)
                                .isEqualTo(sid);
                    }
                }
            }
        }
    }

    /** Decoding reads at an offset: the connection ID sits inside a datagram. */
    @Test
    void decodesInPlaceAtAnOffset() {
        ServerIdCodec codec = new ServerIdCodec(new QuicLbConfig(1, 4, 6, VECTOR_KEY));
        byte[] cid = codec.encode(hex("0a0b0c0d"), hex("010203040506"), true);
        byte[] datagram = new byte[40];
        System.arraycopy(cid, 0, datagram, 6, cid.length);
        byte[] sid = new byte[4];
        codec.decode(datagram, 6, sid);
        assertThat(HEX.formatHex(sid)).isEqualTo("0a0b0c0d");
    }

    @Test
    void theDraftsLimitsAreEnforced() {
        assertThatThrownBy(() -> QuicLbConfig.plaintext(7, 3, 4)).hasMessageContaining("config ID 7");
        assertThatThrownBy(() -> QuicLbConfig.plaintext(0, 0, 4)).hasMessageContaining("server ID length 0");
        assertThatThrownBy(() -> QuicLbConfig.plaintext(0, 3, 3)).hasMessageContaining("nonce length 3");
        assertThatThrownBy(() -> QuicLbConfig.plaintext(0, 10, 10)).hasMessageContaining("sum to 20");
        assertThatThrownBy(() -> new QuicLbConfig(0, 3, 4, new byte[15])).hasMessageContaining("15 bytes");
    }

    private static byte[] decode(ServerIdCodec codec, byte[] cid) {
        byte[] sid = new byte[codec.config().serverIdLength()];
        codec.decode(cid, 0, sid);
        return sid;
    }
}
