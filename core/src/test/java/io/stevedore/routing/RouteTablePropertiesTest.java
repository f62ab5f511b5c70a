package io.stevedore.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.Operator;
import io.stevedore.config.RouteConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The compiled matchers agree with the spec's definitions written the slow, obvious way (byte by
 * byte, and {@link BigInteger} for the ordering operators) on seeded random routes and datagrams,
 * including fields that straddle 8-byte words and datagrams too short for the field.
 */
class RouteTablePropertiesTest {

    static boolean reference(Operator op, byte[] x, byte[] v) {
        switch (op) {
            case EQ:
                return Arrays.equals(x, v);
            case NE:
                return !Arrays.equals(x, v);
            case OR_EQ:
                return orEq(x, v);
            case NOT_OR_EQ:
                return !orEq(x, v);
            case AND_EQ:
                return andEq(x, v);
            case NOT_AND_EQ:
                return !andEq(x, v);
            default:
                int c = new BigInteger(1, x).compareTo(new BigInteger(1, v));
                return op == Operator.LT ? c < 0 : op == Operator.LE ? c <= 0 : op == Operator.GT ? c > 0 : c >= 0;
        }
    }

    private static boolean orEq(byte[] x, byte[] v) {
        for (int i = 0; i < x.length; i++) {
            if ((byte) (x[i] | v[i]) != v[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean andEq(byte[] x, byte[] v) {
        for (int i = 0; i < x.length; i++) {
            if ((byte) (x[i] & v[i]) != v[i]) {
                return false;
            }
        }
        return true;
    }

    /** A value related to the field so that every operator is true and false often enough. */
    static byte[] valueFor(Random random, byte[] field) {
        byte[] v = field.clone();
        switch (random.nextInt(6)) {
            case 0:
                return v;
            case 1:
                int i = random.nextInt(v.length);
                v[i] ^= (byte) (1 << random.nextInt(8));
                return v;
            case 2:
                for (int k = 0; k < v.length; k++) {
                    v[k] &= (byte) random.nextInt(256);
                }
                return v;
            case 3:
                for (int k = 0; k < v.length; k++) {
                    v[k] |= (byte) random.nextInt(256);
                }
                return v;
            default:
                random.nextBytes(v);
                return v;
        }
    }

    @Test
    void everyOperatorAgreesWithItsDefinition() {
        Random random = new Random(11);
        List<UpstreamConfig> upstreams = List.of(RouteTableTest.upstream("a"));
        for (int c = 0; c < 20_000; c++) {
            int start = random.nextInt(12);
            int length = 1 + random.nextInt(random.nextBoolean() ? 8 : 24);
            KeyBytes key = new KeyBytes(start, start + length);
            Operator op = Operator.values()[random.nextInt(Operator.values().length)];
            int datagramLength = Math.max(0, key.end() - 2 + random.nextInt(20));
            // the buffer holds more than the datagram: bytes past the writer index must not count
            byte[] payload = new byte[3 + key.end() + 20];
            random.nextBytes(payload);
            byte[] field = Arrays.copyOfRange(payload, 3 + start, 3 + start + length);
            byte[] value = valueFor(random, field);
            RouteTable table = RouteTable.compile(new UploadConfig("deny",
                    List.of(new RouteConfig(key, op, value, "a")), upstreams));
            ByteBuf d = Unpooled.wrappedBuffer(payload).setIndex(3, 3 + datagramLength);
            try {
                boolean expected = datagramLength >= key.end() && reference(op, field, value);
                assertThat(table.route(d) == 0)
                        .as("%s %s %s on %s", key, op.symbol(), HexFormat.of().formatHex(value),
                                HexFormat.of().formatHex(payload, 3, 3 + datagramLength))
                        .isEqualTo(expected);
            } finally {
                d.release();
            }
        }
    }

    /** Route targets u0..u5 where u5 does not exist; the default is u0. */
    @Test
    void firstMatchingRouteWinsOverManyRoutes() {
        Random random = new Random(12);
        List<UpstreamConfig> upstreams = new ArrayList<>();
        for (int u = 0; u < 5; u++) {
            upstreams.add(RouteTableTest.upstream("u" + u));
        }
        for (int c = 0; c < 2000; c++) {
            byte[] payload = new byte[random.nextInt(40)];
            random.nextBytes(payload);
            List<RouteConfig> routes = new ArrayList<>();
            Integer decided = null;
            int count = 1 + random.nextInt(32);
            for (int r = 0; r < count; r++) {
                int start = random.nextInt(16);
                int length = 1 + random.nextInt(12);
                byte[] field = new byte[length];
                random.nextBytes(field);
                boolean fits = start + length <= payload.length;
                if (fits) {
                    System.arraycopy(payload, start, field, 0, length);
                }
                Operator op = Operator.values()[random.nextInt(Operator.values().length)];
                byte[] value = valueFor(random, field);
                int target = random.nextInt(6);
                routes.add(new RouteConfig(new KeyBytes(start, start + length), op, value, "u" + target));
                if (decided == null && fits && reference(op, field, value)) {
                    decided = target == 5 ? RouteTable.NO_ROUTE : target;
                }
            }
            RouteTable table = RouteTable.compile(new UploadConfig("u0", routes, upstreams));
            ByteBuf d = Unpooled.wrappedBuffer(payload);
            try {
                assertThat(table.route(d)).isEqualTo(decided == null ? 0 : decided);
            } finally {
                d.release();
            }
        }
    }
}
