package io.stevedore.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Datagrams as a QUIC client sends them, through a router with two live configurations (a key
 * rotation: config 0 in plaintext, config 2 encrypted) and three peers.
 */
class ServerIdRouterTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final QuicLbConfig OLD = QuicLbConfig.plaintext(0, 2, 6);
    private static final QuicLbConfig NEW = new QuicLbConfig(2, 2, 6, HEX.parseHex("00112233445566778899aabbccddeeff"));
    private static final List<byte[]> SERVER_IDS = List.of(HEX.parseHex("0102"), HEX.parseHex("ff00"), HEX.parseHex("0a0b"));

    private final ServerIdRouter router = new ServerIdRouter(List.of(OLD, NEW), SERVER_IDS);
    private final Random random = new Random(21);

    private byte[] cid(QuicLbConfig config, int peer) {
        byte[] nonce = new byte[config.nonceLength()];
        random.nextBytes(nonce);
        return new ServerIdCodec(config).encode(SERVER_IDS.get(peer), nonce, false);
    }

    /** A long-header packet (an Initial): flags, version, DCID length, DCID, SCID length, SCID, then padding. */
    private static ByteBuf longHeader(byte[] dcid) {
        ByteBuf datagram = Unpooled.buffer();
        datagram.writeByte(0xC3).writeInt(1).writeByte(dcid.length).writeBytes(dcid);
        datagram.writeByte(8).writeLong(0x1122334455667788L).writeZero(1200 - datagram.writerIndex());
        return datagram;
    }

    /** A short-header packet: flags, DCID (the length only the configuration knows), protected payload. */
    private static ByteBuf shortHeader(byte[] dcid) {
        return Unpooled.buffer().writeByte(0x41).writeBytes(dcid).writeZero(40);
    }

    @Test
    void bothHeaderFormsAndBothConfigsRouteToTheIssuingPeer() {
        for (int peer = 0; peer < SERVER_IDS.size(); peer++) {
            for (QuicLbConfig config : List.of(OLD, NEW)) {
                assertThat(router.route(longHeader(cid(config, peer)))).as("long, %s", config).isEqualTo(peer);
                assertThat(router.route(shortHeader(cid(config, peer)))).as("short, %s", config).isEqualTo(peer);
            }
        }
    }

    @Test
    void aServerMayAppendOctetsToItsConnectionIds() {
        byte[] cid = cid(NEW, 1);
        byte[] longer = new byte[cid.length + 6];
        System.arraycopy(cid, 0, longer, 0, cid.length);
        assertThat(router.route(longHeader(longer))).isEqualTo(1);
    }

    @Test
    void whatCannotBeRoutedFallsBack() {
        byte[] good = cid(NEW, 0);
        byte[] noConfig = good.clone();
        noConfig[0] = (byte) (1 << 5);
        byte[] reserved = good.clone();
        reserved[0] = (byte) 0xE0;
        byte[] unknownServer = new ServerIdCodec(NEW).encode(HEX.parseHex("7777"), new byte[6], false);
        assertThat(router.route(longHeader(noConfig))).as("config 1 is not live").isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(longHeader(reserved))).as("0b111").isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(longHeader(unknownServer))).as("no such server").isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(longHeader(new byte[] {good[0], good[1], good[2]}))).as("a DCID of 3 octets")
                .isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(longHeader(new byte[0]))).as("no DCID").isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(Unpooled.wrappedBuffer(new byte[] {(byte) 0xC0, 0, 0, 0, 1, 20, 1, 2})))
                .as("a long header cut inside its DCID").isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(Unpooled.wrappedBuffer(new byte[] {0x40, good[0], good[1]})))
                .as("a short header cut inside its DCID").isEqualTo(ServerIdRouter.UNROUTABLE);
        assertThat(router.route(Unpooled.buffer(0))).as("empty").isEqualTo(ServerIdRouter.UNROUTABLE);
    }

    @Test
    void randomBytesNeverThrow() {
        byte[] bytes = new byte[64];
        for (int i = 0; i < 100_000; i++) {
            int length = random.nextInt(bytes.length + 1);
            random.nextBytes(bytes);
            int peer = router.route(Unpooled.wrappedBuffer(bytes, 0, length));
            assertThat(peer).isBetween(ServerIdRouter.UNROUTABLE, SERVER_IDS.size() - 1);
        }
    }

    @Test
    void routingAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ByteBuf[] datagrams = {longHeader(cid(NEW, 0)), shortHeader(cid(OLD, 1)), shortHeader(cid(NEW, 2))};
        long sink = 0;
        long quietest = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++) {
            long start = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sink += router.route(datagrams[i % datagrams.length]);
            }
            quietest = Math.min(quietest, threads.getCurrentThreadAllocatedBytes() - start);
        }
        // peers 0, 1, 2 in turn: 33,334 datagrams to peer 0, 33,333 each to peers 1 and 2, per round
        assertThat(sink).isEqualTo(6L * (33_333 * 1 + 33_333 * 2));
        assertThat(quietest).as("bytes allocated by 100000 routes").isLessThan(256);
    }

    @Test
    void aMisfitUpstreamIsRefused() {
        assertThatThrownBy(() -> new ServerIdRouter(List.of(OLD, QuicLbConfig.plaintext(0, 2, 4)), SERVER_IDS))
                .hasMessageContaining("config ID 0 appears twice");
        assertThatThrownBy(() -> new ServerIdRouter(List.of(OLD, QuicLbConfig.plaintext(1, 3, 4)), SERVER_IDS))
                .hasMessageContaining("server ID length");
        assertThatThrownBy(() -> new ServerIdRouter(List.of(OLD), List.of(SERVER_IDS.get(0), SERVER_IDS.get(0))))
                .hasMessageContaining("share a server ID");
    }
}
