package io.stevedore.config;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The two ways the file writes bytes. A route {@code Value} is a number: {@code 0x} hex,
 * {@code 0b} binary or decimal, as wide as written (an odd hex digit or a partial byte of bits
 * rounds up to a whole byte) and zero-extended on the left to its field. A probe payload
 * ({@code Send}, {@code Expect}) is a byte string: {@code 0x} followed by whole bytes of hex, or
 * else plain text in UTF-8. Failures throw {@link IllegalArgumentException} whose message starts
 * with the quoted value and says what was expected.
 */
final class ByteLiterals {

    private ByteLiterals() {
    }

    /** The bytes of a route value, as wide as written: "0x01" is 1 byte, "0x0001" is 2. */
    static byte[] number(String text) {
        String quoted = Section.quote(text);
        if (hasPrefix(text, 'x')) {
            String digits = text.substring(2);
            if (digits.isEmpty()) {
                throw new IllegalArgumentException(quoted + " has no digits; expected hex digits after 0x, e.g. \"0x01\"");
            }
            if (!digits.chars().allMatch(ByteLiterals::isHexDigit)) {
                throw new IllegalArgumentException(quoted + " is not a hex number; expected 0x followed by the digits 0-9 and a-f");
            }
            return digitsToBytes(digits, 4, 16);
        }
        if (hasPrefix(text, 'b')) {
            String digits = text.substring(2);
            if (digits.isEmpty()) {
                throw new IllegalArgumentException(quoted + " has no digits; expected binary digits after 0b, e.g. \"0b10000000\"");
            }
            if (!digits.chars().allMatch(c -> c == '0' || c == '1')) {
                throw new IllegalArgumentException(quoted + " is not a binary number; expected 0b followed by the digits 0 and 1");
            }
            return digitsToBytes(digits, 1, 2);
        }
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(quoted + " is not a number; expected 0x hex, 0b binary or decimal digits, e.g. \"0x01\"");
        }
        BigInteger value = new BigInteger(text);
        int width = Math.max(1, (value.bitLength() + 7) / 8);
        return fit(value, width);
    }

    /** {@code value} zero-extended on the left to {@code width} bytes; {@code value} must not be wider. */
    static byte[] zeroExtend(byte[] value, int width) {
        byte[] result = new byte[width];
        System.arraycopy(value, 0, result, width - value.length, value.length);
        return result;
    }

    /** The bytes of a probe payload: whole bytes of hex after {@code 0x}, or else UTF-8 text. */
    static byte[] payload(String text) {
        String quoted = Section.quote(text);
        if (text.isEmpty()) {
            throw new IllegalArgumentException(quoted + " is empty; expected 0x followed by hex bytes, or text");
        }
        if (!hasPrefix(text, 'x')) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        String digits = text.substring(2);
        if (digits.isEmpty() || !digits.chars().allMatch(ByteLiterals::isHexDigit)) {
            throw new IllegalArgumentException(quoted + " is not hex; expected 0x followed by hex bytes (digits 0-9 and a-f), e.g. \"0x0a0b\"");
        }
        if (digits.length() % 2 != 0) {
            throw new IllegalArgumentException(quoted + " has an odd number of hex digits; expected whole bytes, two digits each");
        }
        return digitsToBytes(digits, 4, 16);
    }

    /** Whole bytes of hex after {@code 0x}, e.g. a QUIC-LB key or server ID. */
    static byte[] hex(String text) {
        if (!hasPrefix(text, 'x')) {
            throw new IllegalArgumentException(Section.quote(text) + " is not 0x followed by hex bytes, e.g. \"0x0a0b\"");
        }
        return payload(text);
    }

    private static boolean hasPrefix(String text, char letter) {
        return text.length() >= 2 && text.charAt(0) == '0' && Character.toLowerCase(text.charAt(1)) == letter;
    }

    /** ASCII only: Character.digit would also take other scripts' digits, e.g. U+0663 for 3. */
    private static boolean isHexDigit(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static byte[] digitsToBytes(String digits, int bitsPerDigit, int radix) {
        int width = (digits.length() * bitsPerDigit + 7) / 8;
        return fit(new BigInteger(digits, radix), width);
    }

    /** {@code value} (non-negative, known to fit) as exactly {@code width} big-endian bytes. */
    private static byte[] fit(BigInteger value, int width) {
        byte[] raw = value.toByteArray();
        // toByteArray may carry one leading sign byte of zero, or be shorter than the width written.
        int significant = raw.length > width ? width : raw.length;
        byte[] result = new byte[width];
        System.arraycopy(raw, raw.length - significant, result, width - significant, significant);
        return result;
    }
}
