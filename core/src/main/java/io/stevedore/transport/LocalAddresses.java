package io.stevedore.transport;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;

/**
 * The addresses of this host that a wildcard {@code ListenAddr} stands for. A socket bound to the
 * wildcard lets the kernel choose each reply's source address by routing, and Netty's epoll
 * transport cannot set it per datagram (no {@code IP_PKTINFO} on send); a socket bound to each
 * local address replies from that address, which is the one its client wrote to.
 *
 * <p>IPv6 link-local addresses are included, with the scope id of their interface: a client on the
 * link reaches the wildcard there, and a socket bound with the scope id answers on that link only.
 */
final class LocalAddresses {

    /** IPv4 first, then IPv6, each by bytes, then by scope: a stable order for logs and binding. */
    private static final Comparator<InetAddress> ORDER = Comparator
            .comparingInt((InetAddress a) -> a instanceof Inet4Address ? 0 : 1)
            .thenComparing(InetAddress::getAddress, Arrays::compareUnsigned)
            .thenComparingInt(a -> a instanceof Inet6Address v6 ? v6.getScopeId() : 0);

    private LocalAddresses() {
    }

    /**
     * The addresses of every interface that is up, of the wildcard's reach: IPv4 ones for
     * {@code 0.0.0.0}; IPv6 and IPv4 ones for {@code ::}, since a dual-stack socket receives both.
     * Sorted, without duplicates.
     */
    static List<InetAddress> of(InetAddress wildcard) throws SocketException {
        boolean withV6 = wildcard instanceof Inet6Address;
        List<InetAddress> found = new ArrayList<>();
        Enumeration<NetworkInterface> interfaces = NetworkInterface.getNetworkInterfaces();
        while (interfaces != null && interfaces.hasMoreElements()) {
            NetworkInterface nif = interfaces.nextElement();
            if (!nif.isUp()) {
                continue;
            }
            Enumeration<InetAddress> addresses = nif.getInetAddresses();
            while (addresses.hasMoreElements()) {
                InetAddress address = addresses.nextElement();
                if ((address instanceof Inet4Address || withV6) && !listed(found, address)) {
                    found.add(address);
                }
            }
        }
        found.sort(ORDER);
        return found;
    }

    /**
     * Whether {@code found} has {@code address} on the same interface: {@code Inet6Address.equals}
     * ignores the scope id, and one link-local address may be on two links.
     */
    private static boolean listed(List<InetAddress> found, InetAddress address) {
        for (InetAddress known : found) {
            if (ORDER.compare(known, address) == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a datagram that reached the wildcard socket for {@code destination} may get a socket
     * of its own: a unicast address of this host, IPv4 (the only family whose destination a
     * wildcard socket learns, through {@code IP_RECVORIGDSTADDR}). The loopback network is all
     * local on Linux though only 127.0.0.1 is an interface address; its broadcast address is not.
     * Called once per new address (the callers remember the answer), as it lists the interfaces.
     */
    static boolean adoptable(InetAddress destination) {
        if (!(destination instanceof Inet4Address) || destination.isAnyLocalAddress()
                || destination.isMulticastAddress()) {
            return false;
        }
        byte[] ip = destination.getAddress();
        if (destination.isLoopbackAddress()) {
            return !(ip[1] == -1 && ip[2] == -1 && ip[3] == -1);
        }
        try {
            return NetworkInterface.getByInetAddress(destination) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
