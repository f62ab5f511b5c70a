package io.stevedore.routing;

import io.netty.buffer.ByteBuf;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.Operator;

/**
 * One route's test, compiled: the field {@code [start, end)} and the value are cut into big-endian
 * 64-bit words (the last one holding the 1..7 remaining bytes, right-aligned), so every operator is
 * a few long operations per word and the datagram is read in place with {@code getLong}. Cutting
 * both sides the same way keeps word-by-word unsigned comparison equal to comparing the whole
 * field as one unsigned big-endian number.
 */
final class FieldMatcher {

    private final int start;
    private final int end;
    private final Operator operator;
    private final long[] value;
    private final int fullWords;
    private final int tailLength;

    FieldMatcher(KeyBytes keyBytes, Operator operator, byte[] value) {
        if (value.length != keyBytes.length()) {
            throw new IllegalArgumentException(
                    "value has " + value.length + " bytes, KeyBytes " + keyBytes + " selects " + keyBytes.length());
        }
        this.start = keyBytes.start();
        this.end = keyBytes.end();
        this.operator = operator;
        this.fullWords = value.length / 8;
        this.tailLength = value.length % 8;
        this.value = new long[fullWords + (tailLength == 0 ? 0 : 1)];
        for (int w = 0; w < this.value.length; w++) {
            int from = w * 8;
            int to = Math.min(from + 8, value.length);
            long word = 0;
            for (int i = from; i < to; i++) {
                word = (word << 8) | (value[i] & 0xFF);
            }
            this.value[w] = word;
        }
    }

    /** Bytes a datagram needs, counted from its reader index, for this test to apply at all. */
    int end() {
        return end;
    }

    /** Whether the field at {@code base + start} satisfies the operator; the caller has checked the length. */
    boolean matches(ByteBuf datagram, int base) {
        int at = base + start;
        switch (operator) {
            case EQ:
                return equal(datagram, at);
            case NE:
                return !equal(datagram, at);
            case OR_EQ:
                return noBitOutsideValue(datagram, at);
            case NOT_OR_EQ:
                return !noBitOutsideValue(datagram, at);
            case AND_EQ:
                return everyValueBitSet(datagram, at);
            case NOT_AND_EQ:
                return !everyValueBitSet(datagram, at);
            case LT:
                return compare(datagram, at) < 0;
            case LE:
                return compare(datagram, at) <= 0;
            case GT:
                return compare(datagram, at) > 0;
            case GE:
                return compare(datagram, at) >= 0;
            default:
                throw new AssertionError(operator);
        }
    }

    private long word(ByteBuf datagram, int at, int w) {
        int index = at + w * 8;
        return w < fullWords ? datagram.getLong(index) : readTail(datagram, index, tailLength);
    }

    private boolean equal(ByteBuf datagram, int at) {
        for (int w = 0; w < value.length; w++) {
            if (word(datagram, at, w) != value[w]) {
                return false;
            }
        }
        return true;
    }

    private boolean noBitOutsideValue(ByteBuf datagram, int at) {
        for (int w = 0; w < value.length; w++) {
            if ((word(datagram, at, w) & ~value[w]) != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean everyValueBitSet(ByteBuf datagram, int at) {
        for (int w = 0; w < value.length; w++) {
            if ((word(datagram, at, w) & value[w]) != value[w]) {
                return false;
            }
        }
        return true;
    }

    private int compare(ByteBuf datagram, int at) {
        for (int w = 0; w < value.length; w++) {
            int c = Long.compareUnsigned(word(datagram, at, w), value[w]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** {@code length} (1..7) bytes at {@code index} as an unsigned big-endian number. */
    private static long readTail(ByteBuf datagram, int index, int length) {
        long word = 0;
        int i = index;
        if ((length & 4) != 0) {
            word = datagram.getUnsignedInt(i);
            i += 4;
        }
        if ((length & 2) != 0) {
            word = (word << 16) | datagram.getUnsignedShort(i);
            i += 2;
        }
        if ((length & 1) != 0) {
            word = (word << 8) | datagram.getUnsignedByte(i);
        }
        return word;
    }

    @Override
    public String toString() {
        return "bytes " + start + ":" + end + " " + operator.symbol();
    }
}
