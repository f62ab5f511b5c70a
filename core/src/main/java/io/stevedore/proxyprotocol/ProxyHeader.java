package io.stevedore.proxyprotocol;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * PROXY protocol version 2 headers for UDP: writing them for a session (the bytes are the same for
 * every datagram of a session, so they are built once) and reading them off a datagram in place.
 *
 * <p>Layout: the 12-octet signature, version and command ({@code 0x21} PROXY, {@code 0x20} LOCAL),
 * family and protocol ({@code 0x12} UDP over IPv4, {@code 0x22} UDP over IPv6), the length of what
 * follows, then source address, destination address, source port, destination port, then optional
 * TLVs, which a reader skips.
 */
public final class ProxyHeader {

    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** The signature, version and command, family and protocol, and the 2-octet length. */
    public static final int FIXED_LENGTH = 16;
    private static final int VERSION_2 = 0x20;
    private static final int LOCAL = 0x0;
    private static final int PROXY = 0x1;
    private static final int UDP_IPV4 = 0x12;
    private static final int UDP_IPV6 = 0x22;
    private static final int IPV4_BLOCK = 2 * 4 + 2 * 2;
    private static final int IPV6_BLOCK = 2 * 16 + 2 * 2;
    /** The longest header this writes: a PROXY command for UDP over IPv6. */
    public static final int MAX_WRITTEN_LENGTH = FIXED_LENGTH + IPV6_BLOCK;

    private ProxyHeader() {
    }

    /**
     * The header of a datagram that {@code client} sent to {@code destination}. Mixed families
     * (an IPv4 client of an IPv6 listener) are written as IPv6, the IPv4 one mapped.
     */
    public static byte[] proxy(InetSocketAddress client, InetSocketAddress destination) {
        byte[] source = client.getAddress().getAddress();
        byte[] target = destination.getAddress().getAddress();
        if (source.length != target.length) {
            source = mapped(source);
            target = mapped(target);
        }
        boolean ipv4 = source.length == 4;
        byte[] header = new byte[FIXED_LENGTH + (ipv4 ? IPV4_BLOCK : IPV6_BLOCK)];
        System.arraycopy(SIGNATURE, 0, header, 0, SIGNATURE.length);
        header[12] = VERSION_2 | PROXY;
        header[13] = (byte) (ipv4 ? UDP_IPV4 : UDP_IPV6);
        int block = header.length - FIXED_LENGTH;
        header[14] = (byte) (block >>> 8);
        header[15] = (byte) block;
        int at = FIXED_LENGTH;
        System.arraycopy(source, 0, header, at, source.length);
        at += source.length;
        System.arraycopy(target, 0, header, at, target.length);
        at += target.length;
        header[at++] = (byte) (client.getPort() >>> 8);
        header[at++] = (byte) client.getPort();
        header[at++] = (byte) (destination.getPort() >>> 8);
        header[at] = (byte) destination.getPort();
        return header;
    }

    /** The header of a datagram the balancer sends on its own behalf (a health probe): LOCAL, no address. */
    public static byte[] local() {
        byte[] header = new byte[FIXED_LENGTH];
        System.arraycopy(SIGNATURE, 0, header, 0, SIGNATURE.length);
        header[12] = VERSION_2 | LOCAL;
        return header;
    }

    private static byte[] mapped(byte[] address) {
        if (address.length == 16) {
            return address;
        }
        byte[] v6 = new byte[16];
        v6[10] = (byte) 0xFF;
        v6[11] = (byte) 0xFF;
        System.arraycopy(address, 0, v6, 12, 4);
        return v6;
    }

    /**
     * What reading a header found: its length and the addresses it carries, or why there is none.
     * One per reader, reused for every datagram.
     */
    public static final class Parsed {
        private Problem problem;
        private int length;
        private boolean local;
        private int family;
        /** Source and destination addresses, then source and destination ports, as on the wire. */
        private final byte[] block = new byte[IPV6_BLOCK];
        private int addressLength;

        /** Null when a valid header was read. */
        public Problem problem() {
            return problem;
        }

        /** Octets of the header, TLVs included: the payload starts this far into the datagram. */
        public int length() {
            return length;
        }

        /** A LOCAL header: the datagram's real sender is the client. */
        public boolean local() {
            return local;
        }

        /** The client the header names (allocates; call once per datagram at most). */
        public InetSocketAddress client() {
            return address(0, 2 * addressLength);
        }

        /** The address and port the client sent to, as the header names them (allocates). */
        public InetSocketAddress destination() {
            return address(addressLength, 2 * addressLength + 2);
        }

        /** Whether {@code candidate} is the client the header names; reads no more than an IPv4 address's int. */
        public boolean isClient(InetSocketAddress candidate) {
            if (candidate == null || candidate.getPort() != port(2 * addressLength)) {
                return false;
            }
            InetAddress ip = candidate.getAddress();
            if (addressLength != 4 || !(ip instanceof Inet4Address)) {
                return addressLength == 16 && ip instanceof Inet6Address
                        && Arrays.equals(ip.getAddress(), 0, 16, block, 0, 16);
            }
            int carried = (block[0] & 0xFF) << 24 | (block[1] & 0xFF) << 16 | (block[2] & 0xFF) << 8 | block[3] & 0xFF;
            // An Inet4Address's hash is its address.
            return ip.hashCode() == carried;
        }

        /**
         * The header to send on for this one's client and destination, TLVs left out: a front
         * tier's client stays the client behind a second balancer. Null for a LOCAL header.
         */
        public byte[] forwarded() {
            if (problem != null || local) {
                return null;
            }
            int blockLength = 2 * addressLength + 4;
            byte[] header = new byte[FIXED_LENGTH + blockLength];
            System.arraycopy(SIGNATURE, 0, header, 0, SIGNATURE.length);
            header[12] = VERSION_2 | PROXY;
            header[13] = (byte) family;
            header[15] = (byte) blockLength;
            System.arraycopy(block, 0, header, FIXED_LENGTH, blockLength);
            return header;
        }

        /** Whether {@code header} is what {@link #forwarded()} would give now. */
        public boolean forwardsAs(byte[] header) {
            int blockLength = 2 * addressLength + 4;
            return header != null && !local && problem == null && header.length == FIXED_LENGTH + blockLength
                    && (header[13] & 0xFF) == family
                    && Arrays.equals(header, FIXED_LENGTH, header.length, block, 0, blockLength);
        }

        private int port(int at) {
            return (block[at] & 0xFF) << 8 | block[at + 1] & 0xFF;
        }

        private InetSocketAddress address(int from, int portAt) {
            if (problem != null || local) {
                throw new IllegalStateException("no address in this header");
            }
            try {
                // An IPv4-mapped IPv6 address comes back as the IPv4 address, as the kernel reports such a client.
                return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(block, from, from + addressLength)),
                        port(portAt));
            } catch (UnknownHostException e) {
                // getByAddress fails only on a length other than 4 or 16.
                throw new IllegalStateException(e);
            }
        }
    }

    /** Why a datagram's header was refused. */
    public enum Problem {
        TOO_SHORT("shorter than a PROXY v2 header"),
        NO_SIGNATURE("no PROXY protocol v2 signature"),
        VERSION("a version other than 2"),
        COMMAND("a command other than LOCAL or PROXY"),
        FAMILY("an address family or protocol other than UDP over IPv4 or IPv6"),
        LENGTH("a header length beyond the datagram or short of its addresses");

        private final String description;

        Problem(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * Reads the header at the start of {@code datagram}'s readable bytes into {@code into}, without
     * moving the reader index. Returns true when it is a valid header; then {@code into.length()}
     * octets are to be skipped. TLVs are skipped as part of the length, unread.
     */
    public static boolean parse(ByteBuf datagram, Parsed into) {
        into.problem = null;
        into.local = false;
        into.length = 0;
        int from = datagram.readerIndex();
        int readable = datagram.readableBytes();
        if (readable < FIXED_LENGTH) {
            return refuse(into, Problem.TOO_SHORT);
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (datagram.getByte(from + i) != SIGNATURE[i]) {
                return refuse(into, Problem.NO_SIGNATURE);
            }
        }
        int versionCommand = datagram.getUnsignedByte(from + 12);
        if ((versionCommand & 0xF0) != VERSION_2) {
            return refuse(into, Problem.VERSION);
        }
        int command = versionCommand & 0x0F;
        if (command != LOCAL && command != PROXY) {
            return refuse(into, Problem.COMMAND);
        }
        int block = datagram.getUnsignedShort(from + 14);
        if (block > readable - FIXED_LENGTH) {
            return refuse(into, Problem.LENGTH);
        }
        into.length = FIXED_LENGTH + block;
        if (command == LOCAL) {
            // The family and the addresses, if any, mean nothing for LOCAL.
            into.local = true;
            return true;
        }
        int family = datagram.getUnsignedByte(from + 13);
        int addressLength;
        if (family == UDP_IPV4) {
            addressLength = 4;
        } else if (family == UDP_IPV6) {
            addressLength = 16;
        } else {
            return refuse(into, Problem.FAMILY);
        }
        if (block < 2 * addressLength + 4) {
            return refuse(into, Problem.LENGTH);
        }
        datagram.getBytes(from + FIXED_LENGTH, into.block, 0, 2 * addressLength + 4);
        into.addressLength = addressLength;
        into.family = family;
        return true;
    }

    private static boolean refuse(Parsed into, Problem problem) {
        into.problem = problem;
        into.length = 0;
        return false;
    }
}
