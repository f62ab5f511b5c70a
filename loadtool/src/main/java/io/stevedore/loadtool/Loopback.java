package io.stevedore.loadtool;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Parses the tool's addresses and refuses any that is not on this machine's loopback: the load
 * tool is a benchmark, and a benchmark here never sends to another host.
 */
public final class Loopback {

    /** More source addresses than this would only mean a typo in a range. */
    static final int MAX_RANGE = 4096;

    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

    private static final InetAddress IPV4 = address("127.0.0.1");
    private static final InetAddress IPV6 = address("::1");

    private Loopback() {
    }

    /** {@code ip:port} or {@code [ipv6]:port}, on loopback; port 0 lets the kernel choose when binding. */
    public static InetSocketAddress socketAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("\"" + text + "\": expected ip:port or [ipv6]:port");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("\"" + text + "\": write an IPv6 address in brackets, [::1]:port");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("\"" + text + "\": port must be 0..65535");
        }
        return new InetSocketAddress(address(host), port);
    }

    /** One loopback address, a comma-separated list, or an IPv4 range {@code 127.0.0.10-127.0.0.20}. */
    public static List<InetAddress> addresses(String text) {
        List<InetAddress> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String item = part.strip();
            int dash = item.indexOf('-');
            if (dash < 0) {
                out.add(address(item));
                continue;
            }
            InetAddress first = address(item.substring(0, dash).strip());
            InetAddress last = address(item.substring(dash + 1).strip());
            if (!(first instanceof Inet4Address) || !(last instanceof Inet4Address)) {
                throw new IllegalArgumentException("\"" + item + "\": ranges are IPv4 only");
            }
            long from = toLong(first);
            long to = toLong(last);
            if (to < from || to - from >= MAX_RANGE) {
                throw new IllegalArgumentException(
                        "\"" + item + "\": expected an ascending range of at most " + MAX_RANGE + " addresses");
            }
            for (long ip = from; ip <= to; ip++) {
                out.add(fromLong(ip));
            }
        }
        if (out.size() > MAX_RANGE) {
            throw new IllegalArgumentException("\"" + text + "\": more than " + MAX_RANGE + " addresses");
        }
        return List.copyOf(out);
    }

    static InetAddress address(String host) {
        // Literals only: a name would need a resolver, and the answer could be any host.
        if (!IPV4_LITERAL.matcher(host).matches() && !(host.indexOf(':') >= 0 && IPV6_LITERAL.matcher(host).matches())) {
            throw new IllegalArgumentException("\"" + host + "\": expected an IP address such as 127.0.0.2 or ::1");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + host + "\": not an IP address");
        }
        return requireLoopback(address);
    }

    static InetAddress requireLoopback(InetAddress address) {
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException(address.getHostAddress() + " is not a loopback address "
                    + "(127.0.0.0/8 or ::1): the load tool only talks to this machine");
        }
        return address;
    }

    /** 127.0.0.1 or ::1, whichever is of the family of {@code address}. */
    static InetAddress sameFamily(InetAddress address) {
        return address instanceof Inet4Address ? IPV4 : IPV6;
    }


    private static long toLong(InetAddress address) {
        long value = 0;
        for (byte b : address.getAddress()) {
            value = (value << 8) | (b & 0xff);
        }
        return value;
    }

    private static InetAddress fromLong(long ip) {
        byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }
}
