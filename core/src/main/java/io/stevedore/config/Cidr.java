package io.stevedore.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A block of addresses written {@code ip/prefix}, e.g. {@code 127.0.0.0/8} or {@code ::1/128}; a
 * bare address is the block of that address alone. The network is held with its host bits cleared,
 * so two spellings of one block are equal.
 */
public record Cidr(InetAddress network, int prefix) {

    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix " + prefix + " outside 0.." + bits);
        }
        network = masked(network, prefix);
    }

    /** The block {@code text} names, or null when it names none. */
    static Cidr parse(String text) {
        int slash = text.indexOf('/');
        InetAddress ip = Addresses.ip(slash < 0 ? text : text.substring(0, slash));
        if (ip == null) {
            return null;
        }
        int bits = ip.getAddress().length * 8;
        if (slash < 0) {
            return new Cidr(ip, bits);
        }
        String prefix = text.substring(slash + 1);
        if (!prefix.matches("\\d{1,3}") || Integer.parseInt(prefix) > bits) {
            return null;
        }
        return new Cidr(ip, Integer.parseInt(prefix));
    }

    /** Whether {@code ip} is in this block; an address of the other family never is. */
    public boolean contains(InetAddress ip) {
        byte[] address = ip.getAddress();
        return address.length == network.getAddress().length && masked(ip, prefix).equals(network);
    }

    private static InetAddress masked(InetAddress ip, int prefix) {
        byte[] address = ip.getAddress();
        for (int i = 0; i < address.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            address[i] &= (byte) (0xFF << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            // getByAddress fails only on a length other than 4 or 16.
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return NetUtil.toAddressString(network) + "/" + prefix;
    }
}
