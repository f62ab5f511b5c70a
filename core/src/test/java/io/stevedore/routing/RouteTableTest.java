package io.stevedore.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.Operator;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.RouteConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTableTest {

    static UpstreamConfig upstream(String name) {
        return new UpstreamConfig(name, BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(),
                List.of(new PeerConfig(new InetSocketAddress("127.0.0.2", 9000), 1, false)),
                Optional.empty(), Affinity.PACKET, false);
    }

    static RouteConfig route(String keyBytes, String op, String hexValue, String upstream) {
        String[] se = keyBytes.split(":");
        return new RouteConfig(new KeyBytes(Integer.parseInt(se[0]), Integer.parseInt(se[1])),
                Operator.fromSymbol(op), HexFormat.of().parseHex(hexValue), upstream);
    }

    static ByteBuf datagram(String hex) {
        return Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex));
    }

    static int routeOnce(RouteTable table, String hex) {
        ByteBuf d = datagram(hex);
        try {
            return table.route(d);
        } finally {
            d.release();
        }
    }

    /** One route "KeyBytes op value -> a", default "deny": whether the datagram goes to a. */
    static boolean matches(String keyBytes, String op, String value, String datagramHex) {
        RouteTable t = RouteTable.compile(new UploadConfig("deny",
                List.of(route(keyBytes, op, value, "a")), List.of(upstream("a"))));
        return routeOnce(t, datagramHex) == 0;
    }

    @ParameterizedTest(name = "[{0}] {1} {2} on {3} -> {4}")
    @CsvSource({
            // equality, on one byte, on 2 bytes, on a field past the first word
            "0:1, ==, 01, 01ff, true",
            "0:1, ==, 01, 02ff, false",
            "4:6, ==, 0001, 0000000000010000, true",
            "4:6, ==, 0001, 0000000001000000, false",
            "2:14, ==, 0102030405060708090a0b0c, ffff0102030405060708090a0b0c, true",
            "2:14, ==, 0102030405060708090a0b0c, ffff0102030405060708090a0b0d, false",
            "2:14, ==, 0102030405060708090a0b0c, ffff0202030405060708090a0b0c, false",
            "0:1, !==, 01, 02, true",
            "0:1, !==, 01, 01, false",
            "0:1, !=, 01, 02, true",
            "0:10, !=, 00000000000000000001, 00000000000000000001, false",
            "0:10, !=, 00000000000000000001, 00000000000000000002, true",
            // |= : no bit outside v is set
            "0:1, |=, f0, 30, true",
            "0:1, |=, f0, 00, true",
            "0:1, |=, f0, 31, false",
            "0:9, |=, ff00000000000000f0, 0f000000000000003f, false",
            "0:9, |=, ff00000000000000f0, 0f0000000000000030, true",
            "0:1, !|=, f0, 31, true",
            "0:1, !|=, f0, 30, false",
            // &= : every bit of v is set (QUIC long header: top bit)
            "0:1, &=, 80, c3, true",
            "0:1, &=, 80, 43, false",
            "0:1, !&=, 80, 43, true",
            "0:1, !&=, 80, c3, false",
            "0:9, &=, 800000000000000001, ff00000000000000ff, true",
            "0:9, &=, 800000000000000001, ff00000000000000fe, false",
            // unsigned big-endian ordering: 0x80.. is large, not negative
            "0:2, <, 0100, 00ff, true",
            "0:2, <, 0100, 0100, false",
            "0:2, <=, 0100, 0100, true",
            "0:2, <=, 0100, 0101, false",
            "0:2, >, 0100, 8000, true",
            "0:2, >, 0100, 0100, false",
            "0:2, >=, 0100, 0100, true",
            "0:2, >=, 0100, 00ff, false",
            "0:8, >, 7fffffffffffffff, 8000000000000000, true",
            "0:8, <, 8000000000000000, 7fffffffffffffff, true",
            "0:12, <, 000000000000000100000000, 0000000000000000ffffffff, true",
            "0:12, <, 000000000000000100000000, 000000000000000100000000, false",
            "0:12, >=, 000000000000000100000000, 000000000000000100000001, true",
            "0:3, >=, 010000, 00ffff, false",
            "0:7, >, 00000000000001, 00000000000002, true",
            // too short for the field: that route does not match, whatever the operator
            "4:6, ==, 0001, 000000000001, true",
            "4:6, ==, 0001, 0000000000, false",
            "4:6, !==, 0001, 0000000000, false",
            "0:1, <, 01, '', false",
            "0:1, !&=, 80, '', false",
    })
    void operatorsCompareTheSelectedBytes(String keyBytes, String op, String value, String datagram, boolean expected) {
        assertThat(matches(keyBytes.trim(), op.trim(), value.trim(), datagram.trim())).isEqualTo(expected);
    }

    @Test
    void firstMatchingRouteWinsAndTheDefaultTakesTheRest() {
        RouteTable t = RouteTable.compile(new UploadConfig("other",
                List.of(route("4:6", "==", "0001", "ver1"),
                        route("4:6", "==", "0002", "ver2"),
                        route("4:6", ">=", "0001", "ver2-too")),
                List.of(upstream("ver1"), upstream("ver2"), upstream("other"), upstream("ver2-too"))));
        assertThat(routeOnce(t, "000000000001ffff")).isEqualTo(0);
        assertThat(routeOnce(t, "000000000002ffff")).isEqualTo(1);
        assertThat(routeOnce(t, "000000000003ffff")).isEqualTo(3);
        assertThat(routeOnce(t, "000000000000ffff")).isEqualTo(2);
        assertThat(routeOnce(t, "0000")).isEqualTo(2);
        assertThat(routeOnce(t, "")).isEqualTo(2);
    }

    @Test
    void routeOrDefaultNamingNoUpstreamDrops() {
        RouteTable t = RouteTable.compile(new UploadConfig("deny",
                List.of(route("0:1", "==", "01", "nowhere"), route("0:1", "<=", "02", "a")),
                List.of(upstream("a"))));
        assertThat(routeOnce(t, "01")).as("matching route names no upstream: drop, no fall-through").isEqualTo(RouteTable.NO_ROUTE);
        assertThat(routeOnce(t, "02")).isEqualTo(0);
        assertThat(routeOnce(t, "03")).isEqualTo(RouteTable.NO_ROUTE);
        assertThat(routeOnce(t, "")).isEqualTo(RouteTable.NO_ROUTE);
    }

    @Test
    void noRoutesMeansTheDefault() {
        RouteTable t = RouteTable.compile(new UploadConfig("b", List.of(), List.of(upstream("a"), upstream("b"))));
        assertThat(t.routeCount()).isZero();
        assertThat(routeOnce(t, "")).isEqualTo(1);
        assertThat(routeOnce(t, "01020304")).isEqualTo(1);
    }

    @Test
    void readsOnlyTheReadableBytesAndLeavesTheIndicesAlone() {
        RouteTable t = RouteTable.compile(new UploadConfig("deny",
                List.of(route("0:2", "==", "abcd", "a")), List.of(upstream("a"))));
        ByteBuf d = Unpooled.directBuffer(16);
        try {
            d.writeBytes(HexFormat.of().parseHex("ffffabcd"));
            d.readerIndex(2);
            assertThat(t.route(d)).isEqualTo(0);
            assertThat(d.readerIndex()).isEqualTo(2);
            assertThat(d.writerIndex()).isEqualTo(4);
            // bytes beyond the writer index do not count, even if the buffer holds them
            d.readerIndex(3);
            d.setByte(4, 0xcd);
            assertThat(t.route(d)).isEqualTo(RouteTable.NO_ROUTE);
        } finally {
            d.release();
        }
    }
}
