package io.stevedore.config;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/**
 * IP literals and listen addresses, read and written. Names are never resolved: a configuration
 * check must not depend on, or wait for, DNS. Failures throw {@link IllegalArgumentException}
 * whose message starts with the quoted value and says what was expected.
 *
 * <p>{@link #format} is how every log line, error, metric label and status field writes an address,
 * the way a configuration file does, so that what one says can be found in the other.
 */
public final class Addresses {

    private static final byte[] WILDCARD = new byte[4];

    private Addresses() {
    }

    /** {@code ip:port}, or {@code [ipv6]:port} with the IPv6 address in its short form (RFC 5952). */
    public static String format(InetSocketAddress address) {
        return format(address.getAddress(), address.getPort());
    }

    /** As {@link #format(InetSocketAddress)}, for an address and a port apart. */
    public static String format(InetAddress ip, int port) {
        String host = NetUtil.toAddressString(ip);
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
    }

    /** The address written as an IPv4 or IPv6 literal, or null when {@code text} is not one. */
    public static InetAddress ip(String text) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            // getByAddress only fails on a length other than 4 or 16, which the parser never returns.
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * {@code ip:port}, {@code [ipv6]:port} or {@code :port} (every IPv4 interface, as in Go). Port 0
     * lets the system choose, which tests rely on.
     */
    public static InetSocketAddress listen(String text, String example) {
        String quoted = Section.quote(text);
        String form = "ip:port or [ipv6]:port, e.g. \"" + example + "\"";
        String expected = "expected " + form;
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException(quoted + " is not [ipv6]:port; " + expected);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
            if (host.isEmpty()) {
                throw new IllegalArgumentException(quoted + " has no address in its brackets; " + expected);
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(quoted + " has no port; " + expected);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException(quoted + " is ambiguous: an IPv6 address needs brackets; " + expected);
            }
        }
        InetAddress address = host.isEmpty() ? wildcard() : ip(host);
        if (address == null) {
            throw new IllegalArgumentException(quoted + ": " + Section.quote(host)
                    + " is not an IP address; expected an IP literal (names are not resolved) in " + form);
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException(quoted + ": " + Section.quote(port)
                    + " is not a port; expected a port from 0 to 65535 in " + form);
        }
        return new InetSocketAddress(address, Integer.parseInt(port));
    }

    private static InetAddress wildcard() {
        try {
            return InetAddress.getByAddress(WILDCARD);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Whether {@code peer} reaches one of the listening sockets on {@code listenAddr}: that address
     * itself, or, when it is a wildcard, its port on an address of this host (the loopback network
     * is all local). Such a peer would send every datagram back to Stevedore as a client's.
     */
    public static boolean reachesListener(InetSocketAddress listenAddr, InetSocketAddress peer) {
        if (peer.getPort() != listenAddr.getPort()) {
            return false;
        }
        InetAddress ip = peer.getAddress();
        if (ip.equals(listenAddr.getAddress())) {
            return true;
        }
        if (!listenAddr.getAddress().isAnyLocalAddress()) {
            return false;
        }
        if (ip.isLoopbackAddress() || ip.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(ip) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
