package io.stevedore.transport;

import io.netty.channel.unix.Errors;
import java.net.PortUnreachableException;
import java.net.SocketException;

/**
 * What a failed send or receive on a session socket means. Linux errno values: the native
 * transport runs on Linux only, and Netty exports no constant for most of them.
 */
final class SocketErrors {

    static final int ENONET = 64;
    static final int EPROTO = 71;
    /** The datagram is larger than the way to its destination carries. */
    static final int EMSGSIZE = 90;
    static final int ENOPROTOOPT = 92;
    static final int EOPNOTSUPP = 95;
    static final int ENETUNREACH = 101;
    /** ICMP port unreachable: nothing listens on the peer's port. */
    static final int ECONNREFUSED = 111;
    static final int EHOSTDOWN = 112;
    static final int EHOSTUNREACH = 113;

    /** The largest UDP payload over IPv4 (65535 less the IP and UDP headers). */
    static final int MAX_IPV4_PAYLOAD = 65_507;
    /** The largest UDP payload over IPv6 without jumbograms (65535 less the UDP header). */
    static final int MAX_IPV6_PAYLOAD = 65_527;

    /** The largest datagram UDP carries to {@code target} (an IPv4-mapped address counts as IPv4). */
    static int maxPayload(java.net.InetSocketAddress target) {
        return target != null && target.getAddress() instanceof java.net.Inet6Address
                ? MAX_IPV6_PAYLOAD : MAX_IPV4_PAYLOAD;
    }

    /** How Java NIO words EMSGSIZE; it keeps no errno. */
    private static final String NIO_MESSAGE_TOO_LONG = "Message too long";

    private SocketErrors() {
    }

    /** The errno behind {@code cause}, or 0 when it carries none this class knows. */
    static int errno(Throwable cause) {
        if (cause instanceof Errors.NativeIoException e) {
            return -e.expectedErr();
        }
        if (cause instanceof PortUnreachableException) {
            return ECONNREFUSED;
        }
        if (cause instanceof SocketException && NIO_MESSAGE_TOO_LONG.equals(cause.getMessage())) {
            return EMSGSIZE;
        }
        return 0;
    }

    /**
     * Whether a receive error is an ICMP report that a datagram sent earlier found no peer: its
     * port closed, its host or network unreachable. A receive never fails for any other reason
     * on a healthy socket, so the report is about what the session sent, not about the receive.
     */
    static boolean unreachable(int errno) {
        return errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN;
    }

    /** Whether {@code errno} is what a send with no route to its destination fails with at once. */
    static boolean noRoute(int errno) {
        return errno == ENETUNREACH || errno == EHOSTUNREACH;
    }

    /**
     * Whether a failed send's errno may be an ICMP report about an earlier datagram rather than
     * this send's own failure. With IP_RECVERR set, Linux keeps the error of every ICMP report
     * (unreachable of any kind, time exceeded, parameter problem) on the socket and fails the
     * socket's next send with it, whatever that send's destination. EMSGSIZE is one too (a
     * "fragmentation needed" report) unless the datagram itself is too large; see
     * {@link #maxPayload}.
     */
    static boolean icmpReport(int errno) {
        return unreachable(errno) || errno == ENOPROTOOPT || errno == EOPNOTSUPP || errno == ENONET
                || errno == EPROTO;
    }
}
