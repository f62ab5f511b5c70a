package io.stevedore.loadtool;

import java.nio.charset.StandardCharsets;

/**
 * The load tool's datagram layout, shared by the load client and the echo backend. All integers
 * are big-endian.
 *
 * <pre>
 * bytes  0..4   conversation id: what a proxy keys on, like KCP's conv
 * bytes  4..8   backend tag: zero in a request; the echo writes its id here in the reply
 * bytes  8..16  send stamp: the client's System.nanoTime() at send, echoed untouched; the client
 *               keeps the window slot of a closed-loop datagram in its low 8 bits
 * bytes 16..    zero padding up to the requested size
 * </pre>
 *
 * An echo answers a datagram with the same bytes, the tag aside, so a reply measures the round
 * trip and names the backend that served it.
 */
public final class Wire {

    public static final int CONV_OFFSET = 0;
    public static final int BACKEND_OFFSET = 4;
    public static final int STAMP_OFFSET = 8;
    /** The smallest datagram the load client sends and the smallest reply it accepts. */
    public static final int HEADER_SIZE = 16;
    /** The largest UDP payload over IPv4. */
    public static final int MAX_SIZE = 65_507;

    /** Low bits of the stamp that carry the closed-loop window slot: costs at most 255 ns of precision. */
    static final int SLOT_BITS = 8;
    static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
    static final int MAX_WINDOW = 1 << SLOT_BITS;

    private static final int TAG_BYTES = 4;

    private Wire() {
    }

    /**
     * The 4-byte tag of a backend id: 1 to 4 printable ASCII characters, left-aligned and padded
     * with zero bytes, so {@code "b1"} reads as "b1" in a packet capture.
     */
    public static int tag(String id) {
        if (id.isEmpty() || id.length() > TAG_BYTES || !id.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            throw new IllegalArgumentException(
                    "backend id \"" + id + "\": expected 1 to 4 printable ASCII characters without spaces");
        }
        int tag = 0;
        for (int i = 0; i < TAG_BYTES; i++) {
            tag = (tag << 8) | (i < id.length() ? id.charAt(i) : 0);
        }
        return tag;
    }

    /** The id a tag was made from; tags no echo makes are shown in hex. */
    public static String name(int tag) {
        byte[] bytes = {(byte) (tag >>> 24), (byte) (tag >>> 16), (byte) (tag >>> 8), (byte) tag};
        int length = 0;
        while (length < TAG_BYTES && bytes[length] != 0) {
            length++;
        }
        boolean printable = length > 0;
        for (int i = 0; i < TAG_BYTES; i++) {
            boolean inName = i < length;
            if (inName ? bytes[i] <= ' ' || bytes[i] >= 0x7f : bytes[i] != 0) {
                printable = false;
            }
        }
        return printable
                ? new String(bytes, 0, length, StandardCharsets.US_ASCII)
                : String.format("0x%08x", tag);
    }
}
