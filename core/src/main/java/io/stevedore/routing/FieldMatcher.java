package io.stevedore.routing;

import io.netty.buffer.ByteBuf;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.Operator;

/**
 * One route's test, compiled so that matching reads the datagram in place and costs a few long
 * operations.
 *
 * <p>A field of up to 8 bytes (nearly every route: versions, flags, ids) is read as one
 * big-endian {@code long}, left-aligned: with 8 or more bytes left from the field's start a single
 * {@code getLong} reads it plus some following bytes, which the mask clears. Every operator then
 * reduces to one of three tests, possibly negated: {@code (x & mask) == target} for {@code ==},
 * {@code |=} (no bit outside v: mask {@code ~v}, target 0) and {@code &=} (every bit of v: mask and
 * target v); {@code x < v} or {@code v < x} unsigned for the orderings ({@code >=} is not
 * {@code <}, {@code <=} is not {@code >}). Left alignment keeps unsigned order equal to the
 * fields' big-endian numeric order.
 *
 * <p>A wider field is cut into 8-byte words (the last right-aligned) and compared word by word.
 */
final class FieldMatcher {

    private static final int MASKED_EQUAL = 0;
    private static final int BELOW = 1;
    private static final int ABOVE = 2;

    private final int start;
    private final int end;
    private final int length;
    private final Operator operator;
    private final int test;
    private final boolean negate;
    private final long mask;
    private final long target;
    /** Only for fields wider than 8 bytes: the value as big-endian words; null otherwise. */
    private final long[] words;

    FieldMatcher(KeyBytes keyBytes, Operator operator, byte[] value) {
        if (value.length != keyBytes.length()) {
            throw new IllegalArgumentException(
                    "value has " + value.length + " bytes, KeyBytes " + keyBytes + " selects " + keyBytes.length());
        }
        this.start = keyBytes.start();
        this.end = keyBytes.end();
        this.length = keyBytes.length();
        this.operator = operator;
        this.negate = operator == Operator.NE || operator == Operator.NOT_OR_EQ || operator == Operator.NOT_AND_EQ
                || operator == Operator.GE || operator == Operator.LE;
        if (length > 8) {
            this.words = toWords(value);
            this.test = MASKED_EQUAL;
            this.mask = 0;
            this.target = 0;
            return;
        }
        this.words = null;
        long v = 0;
        for (byte b : value) {
            v = (v << 8) | (b & 0xFF);
        }
        int unused = (8 - length) * 8;
        long fieldMask = -1L << unused;
        v <<= unused;
        switch (operator) {
            case EQ:
            case NE:
                test = MASKED_EQUAL;
                mask = fieldMask;
                target = v;
                break;
            case OR_EQ:
            case NOT_OR_EQ:
                test = MASKED_EQUAL;
                mask = fieldMask & ~v;
                target = 0;
                break;
            case AND_EQ:
            case NOT_AND_EQ:
                test = MASKED_EQUAL;
                mask = v;
                target = v;
                break;
            case LT:
            case GE:
                test = BELOW;
                mask = fieldMask;
                target = v;
                break;
            case GT:
            case LE:
                test = ABOVE;
                mask = fieldMask;
                target = v;
                break;
            default:
                throw new AssertionError(operator);
        }
    }

    /**
     * Whether the datagram whose readable bytes start at {@code base} and number {@code readable}
     * satisfies this test; false when it is shorter than the field's end.
     */
    boolean matches(ByteBuf datagram, int base, int readable) {
        if (readable < end) {
            return false;
        }
        int at = base + start;
        if (words != null) {
            return matchesWide(datagram, at);
        }
        long x = readable - start >= 8
                ? datagram.getLong(at)
                : readRightAligned(datagram, at, length) << ((8 - length) * 8);
        x &= mask;
        boolean result;
        if (test == MASKED_EQUAL) {
            result = x == target;
        } else if (test == BELOW) {
            result = Long.compareUnsigned(x, target) < 0;
        } else {
            result = Long.compareUnsigned(target, x) < 0;
        }
        return result != negate;
    }

    private boolean matchesWide(ByteBuf datagram, int at) {
        switch (operator) {
            case EQ:
            case NE:
                for (int w = 0; w < words.length; w++) {
                    if (word(datagram, at, w) != words[w]) {
                        return negate;
                    }
                }
                return !negate;
            case OR_EQ:
            case NOT_OR_EQ:
                for (int w = 0; w < words.length; w++) {
                    if ((word(datagram, at, w) & ~words[w]) != 0) {
                        return negate;
                    }
                }
                return !negate;
            case AND_EQ:
            case NOT_AND_EQ:
                for (int w = 0; w < words.length; w++) {
                    if ((word(datagram, at, w) & words[w]) != words[w]) {
                        return negate;
                    }
                }
                return !negate;
            default:
                int c = 0;
                for (int w = 0; w < words.length && c == 0; w++) {
                    c = Long.compareUnsigned(word(datagram, at, w), words[w]);
                }
                boolean result = operator == Operator.LT || operator == Operator.GE ? c < 0 : c > 0;
                return result != negate;
        }
    }

    private long word(ByteBuf datagram, int at, int w) {
        int index = at + w * 8;
        int left = length - w * 8;
        return left >= 8 ? datagram.getLong(index) : readRightAligned(datagram, index, left);
    }

    private static long[] toWords(byte[] value) {
        long[] words = new long[(value.length + 7) / 8];
        for (int w = 0; w < words.length; w++) {
            int to = Math.min(w * 8 + 8, value.length);
            for (int i = w * 8; i < to; i++) {
                words[w] = (words[w] << 8) | (value[i] & 0xFF);
            }
        }
        return words;
    }

    /** {@code length} (1..7) bytes at {@code index} as an unsigned big-endian number. */
    private static long readRightAligned(ByteBuf datagram, int index, int length) {
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
