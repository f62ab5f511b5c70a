package io.stevedore.quic;

import io.netty.buffer.ByteBuf;

/**
 * Where a QUIC datagram carries its destination connection ID, by the version-independent
 * invariants (RFC 8999): a long header (first bit set) states the DCID's length in octet 5 and
 * puts the DCID from octet 6; a short header puts it from octet 1 and does not state its length,
 * which only the configuration knows.
 */
public final class ConnectionIds {

    /** Returned by {@link #start} when the datagram holds no connection ID to read. */
    public static final int NONE = -1;

    private static final int LONG_HEADER = 0x80;
    private static final int LONG_DCID_LENGTH_AT = 5;
    private static final int LONG_DCID_AT = 6;

    private ConnectionIds() {
    }

    /** The config rotation bits of a connection ID's first octet: 0 to 6, or 7 for "unroutable". */
    public static int configId(byte firstOctet) {
        return (firstOctet & 0xFF) >>> 5;
    }

    public static boolean longHeader(ByteBuf datagram) {
        return (datagram.getByte(datagram.readerIndex()) & LONG_HEADER) != 0;
    }

    /**
     * The index of the DCID's first octet in {@code datagram}, or {@link #NONE} when the datagram
     * is empty, a long header too short to hold the DCID it announces, or a DCID of length zero.
     */
    public static int start(ByteBuf datagram) {
        int from = datagram.readerIndex();
        int readable = datagram.readableBytes();
        if (readable < 2) {
            return NONE;
        }
        if (!longHeader(datagram)) {
            return from + 1;
        }
        if (readable <= LONG_DCID_AT) {
            return NONE;
        }
        int length = datagram.getUnsignedByte(from + LONG_DCID_LENGTH_AT);
        return length == 0 || readable < LONG_DCID_AT + length ? NONE : from + LONG_DCID_AT;
    }

    /** Octets of the DCID that starts at {@code start}: stated by a long header, the rest of a short one. */
    public static int available(ByteBuf datagram, int start) {
        int from = datagram.readerIndex();
        return longHeader(datagram)
                ? datagram.getUnsignedByte(from + LONG_DCID_LENGTH_AT)
                : datagram.writerIndex() - start;
    }
}
