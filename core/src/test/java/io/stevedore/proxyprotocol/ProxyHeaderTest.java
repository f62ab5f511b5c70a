package io.stevedore.proxyprotocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProxyHeaderTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final String SIGNATURE = "0d0a0d0a000d0a515549540a";

    private static ByteBuf datagram(byte[] header, String payload) {
        return Unpooled.wrappedBuffer(header, payload.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void anIpv4ClientIsWrittenAsUdpOverIpv4() {
        byte[] header = ProxyHeader.proxy(new InetSocketAddress("127.0.0.9", 40000),
                new InetSocketAddress("127.0.0.1", 53));
        assertThat(HEX.formatHex(header)).isEqualTo(SIGNATURE + "21" + "12" + "000c"
                + "7f000009" + "7f000001" + "9c40" + "0035");
    }

    @Test
    void anIpv6ClientIsWrittenAsUdpOverIpv6() {
        byte[] header = ProxyHeader.proxy(new InetSocketAddress("2001:db8::7", 5353),
                new InetSocketAddress("::1", 53));
        assertThat(HEX.formatHex(header)).isEqualTo(SIGNATURE + "21" + "22" + "0024"
                + "20010db8000000000000000000000007" + "00000000000000000000000000000001" + "14e9" + "0035");
        assertThat(header).hasSize(ProxyHeader.MAX_WRITTEN_LENGTH);
    }

    @Test
    void mixedFamiliesAreWrittenAsIpv6WithTheIpv4AddressMapped() {
        byte[] header = ProxyHeader.proxy(new InetSocketAddress("127.0.0.9", 1), new InetSocketAddress("::1", 2));
        assertThat(header[13]).isEqualTo((byte) 0x22);
        assertThat(HEX.formatHex(header, 16, 32)).isEqualTo("00000000000000000000ffff7f000009");
        ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
        assertThat(ProxyHeader.parse(Unpooled.wrappedBuffer(header), parsed)).isTrue();
        assertThat(parsed.client()).isEqualTo(new InetSocketAddress("127.0.0.9", 1));
    }

    @Test
    void aLocalHeaderHasNoAddress() {
        assertThat(HEX.formatHex(ProxyHeader.local())).isEqualTo(SIGNATURE + "20" + "00" + "0000");
        ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
        assertThat(ProxyHeader.parse(datagram(ProxyHeader.local(), "probe"), parsed)).isTrue();
        assertThat(parsed.local()).isTrue();
        assertThat(parsed.length()).isEqualTo(16);
    }

    @Test
    void bothFamiliesRoundTripAndThePayloadFollows() {
        for (String[] pair : new String[][] {{"127.0.0.9", "127.0.0.1"}, {"fd00::9", "fd00::1"}}) {
            InetSocketAddress client = new InetSocketAddress(pair[0], 61000);
            ByteBuf datagram = datagram(ProxyHeader.proxy(client, new InetSocketAddress(pair[1], 2614)), "payload");
            ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
            assertThat(ProxyHeader.parse(datagram, parsed)).isTrue();
            assertThat(parsed.client()).isEqualTo(client);
            assertThat(datagram.toString(parsed.length(), datagram.readableBytes() - parsed.length(),
                    java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("payload");
            assertThat(datagram.readerIndex()).as("parsing does not consume").isZero();
        }
    }

    @Test
    void tlvsAreSkippedWithTheHeader() {
        // An IPv4 PROXY header whose length also covers a NOOP TLV (type 4, 3 octets) and an AUTHORITY TLV.
        String tlvs = "0400030000ff" + "020009" + HEX.formatHex("stevedore".getBytes());
        int block = 12 + tlvs.length() / 2;
        byte[] header = HEX.parseHex(SIGNATURE + "2112" + String.format("%04x", block)
                + "7f0000097f0000019c400035" + tlvs);
        ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
        ByteBuf datagram = datagram(header, "dns");
        assertThat(ProxyHeader.parse(datagram, parsed)).isTrue();
        assertThat(parsed.length()).isEqualTo(header.length);
        assertThat(parsed.client()).isEqualTo(new InetSocketAddress("127.0.0.9", 40000));
    }

    @Test
    void malformedHeadersAreRefusedWithTheirReason() {
        String v4 = "7f0000097f0000019c400035";
        assertRefused(SIGNATURE + "2112000c" + v4.substring(0, 10), ProxyHeader.Problem.LENGTH);
        assertRefused(SIGNATURE + "21120008" + v4.substring(0, 16), ProxyHeader.Problem.LENGTH);
        assertRefused(SIGNATURE + "2122000c" + v4, ProxyHeader.Problem.LENGTH);
        assertRefused(SIGNATURE + "2112ffff" + v4, ProxyHeader.Problem.LENGTH);
        assertRefused(SIGNATURE + "1112000c" + v4, ProxyHeader.Problem.VERSION);
        assertRefused(SIGNATURE + "2212000c" + v4, ProxyHeader.Problem.COMMAND);
        assertRefused(SIGNATURE + "2111000c" + v4, ProxyHeader.Problem.FAMILY);
        assertRefused(SIGNATURE + "2100000c" + v4, ProxyHeader.Problem.FAMILY);
        assertRefused(SIGNATURE + "2131000c" + v4, ProxyHeader.Problem.FAMILY);
        assertRefused(HEX.formatHex("PROXY UDP4 127.0.0.9 127.0.0.1 1 2\r\n".getBytes()), ProxyHeader.Problem.NO_SIGNATURE);
        assertRefused(SIGNATURE.replace("51", "52") + "2112000c" + v4, ProxyHeader.Problem.NO_SIGNATURE);
        assertRefused(SIGNATURE + "2112", ProxyHeader.Problem.TOO_SHORT);
        assertRefused("", ProxyHeader.Problem.TOO_SHORT);
    }

    private static void assertRefused(String hex, ProxyHeader.Problem problem) {
        ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
        assertThat(ProxyHeader.parse(Unpooled.wrappedBuffer(HEX.parseHex(hex)), parsed)).as(hex).isFalse();
        assertThat(parsed.problem()).as(hex).isEqualTo(problem);
        assertThat(parsed.length()).isZero();
    }

    /** Random bytes and random damage to valid headers: never an exception, never a length past the datagram. */
    @Test
    void fuzzedHeadersNeverThrowNorOverrun() {
        Random random = new Random(17);
        byte[][] seeds = {
            ProxyHeader.proxy(new InetSocketAddress("127.0.0.9", 1), new InetSocketAddress("127.0.0.1", 2)),
            ProxyHeader.proxy(new InetSocketAddress("fd00::9", 1), new InetSocketAddress("fd00::1", 2)),
            ProxyHeader.local(),
        };
        ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
        int valid = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] bytes;
            if (i % 4 == 0) {
                bytes = new byte[random.nextInt(80)];
                random.nextBytes(bytes);
            } else {
                byte[] seed = seeds[random.nextInt(seeds.length)];
                bytes = Arrays.copyOf(seed, Math.max(0, seed.length + random.nextInt(24) - 12));
                // Damage after the signature, where a header that passes the first test can still lie.
                for (int flips = random.nextInt(3); flips > 0 && bytes.length > 12; flips--) {
                    bytes[12 + random.nextInt(bytes.length - 12)] = (byte) random.nextInt(256);
                }
            }
            ByteBuf datagram = Unpooled.wrappedBuffer(bytes);
            if (ProxyHeader.parse(datagram, parsed)) {
                valid++;
                assertThat(parsed.length()).isBetween(ProxyHeader.FIXED_LENGTH, bytes.length);
                if (!parsed.local()) {
                    assertThat(parsed.client()).isNotNull();
                }
            } else {
                assertThat(parsed.problem()).isNotNull();
            }
        }
        assertThat(valid).as("some damaged headers stay valid").isPositive();
    }

    @Test
    void aHeaderReadIsForwardedWithTheSameClientAndDestinationAndItsTlvsLeftOut() {
        for (String[] pair : new String[][] {{"127.0.0.9", "127.0.0.1"}, {"fd00::9", "fd00::1"}}) {
            InetSocketAddress client = new InetSocketAddress(pair[0], 61000);
            InetSocketAddress destination = new InetSocketAddress(pair[1], 53);
            byte[] written = ProxyHeader.proxy(client, destination);
            // The same header with a 4-octet TLV after the addresses, its length raised to cover it.
            byte[] withTlv = Arrays.copyOf(written, written.length + 4);
            withTlv[15] += 4;
            withTlv[written.length] = (byte) 0xEE;
            withTlv[written.length + 2] = 1;
            ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
            assertThat(ProxyHeader.parse(datagram(withTlv, "q"), parsed)).isTrue();
            assertThat(parsed.destination()).isEqualTo(destination);
            assertThat(parsed.isClient(client)).isTrue();
            assertThat(parsed.isClient(new InetSocketAddress(pair[0], 61001))).isFalse();
            assertThat(parsed.isClient(new InetSocketAddress(pair[1], 61000))).isFalse();
            assertThat(parsed.isClient(null)).isFalse();
            assertThat(parsed.forwarded()).isEqualTo(written);
            assertThat(parsed.forwardsAs(written)).isTrue();
            assertThat(parsed.forwardsAs(ProxyHeader.proxy(client, new InetSocketAddress(pair[1], 54)))).isFalse();
            assertThat(parsed.forwardsAs(null)).isFalse();
        }
    }

    @Test
    void aLocalHeaderForwardsNothing() {
        ProxyHeader.Parsed parsed = new ProxyHeader.Parsed();
        assertThat(ProxyHeader.parse(datagram(ProxyHeader.local(), "probe"), parsed)).isTrue();
        assertThat(parsed.forwarded()).isNull();
        assertThat(parsed.forwardsAs(ProxyHeader.local())).isFalse();
    }
}
