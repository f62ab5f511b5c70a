package io.stevedore.transport;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Recognises a client datagram that comes from Stevedore itself: from one of its listening
 * sockets or one of its session sockets (the peers are {@link Forwarding#isPeer}'s). Relayed, such
 * a datagram's reply would come back as another client datagram, and so on without end; it can
 * only have been spoofed, since Stevedore never sends from a listener or a session socket to a
 * listener on its own.
 *
 * <p>Shared by every event loop. The session sockets' ports change as sessions open and close on
 * their own loops, so they are kept in atomic arrays: each loop writes the ports of its sockets and
 * reads everyone's, with no lock. A port counter answers "is any session socket on this port?"
 * with one read, which is all the hot path pays for a stranger's datagram; only a datagram from a
 * local address on such a port is looked at more closely.
 *
 * <p>A session socket is bound to a wildcard or, with {@code Session.SourceAddrs}, to one local
 * address: a bit per port of each such binding says exactly which local addresses it answers from,
 * so a local client that happens to use a session socket's port on another address is not taken
 * for it. The two wildcards differ: {@code 0.0.0.0} answers from IPv4 addresses only, while
 * {@code ::} answers from both families. An IPv6 client on {@code ::1} may well get the port
 * number of an IPv4 session socket, since the kernel keeps the two apart.
 */
final class LoopGuard {

    private static final int PORTS = 65536;
    /** {@link #bound} index of the IPv4 wildcard binding, {@code 0.0.0.0}. */
    private static final int WILDCARD_V4 = 0;
    /** {@link #bound} index of the IPv6 wildcard binding, {@code ::}, which IPv4 reaches too. */
    private static final int WILDCARD_V6 = 1;

    /** How many session sockets, over every loop, are bound to each port. */
    private final AtomicIntegerArray sessionPorts = new AtomicIntegerArray(PORTS);
    /** Per binding (the two wildcards, then each source address met), a bit per port taken by a session socket. */
    private volatile AtomicLongArray[] bound = {new AtomicLongArray(PORTS / 64), new AtomicLongArray(PORTS / 64)};
    /**
     * The {@link #bound} index of each source address, replaced whole under this lock when an
     * address is first met; grows only, as sockets bound to a removed address may live on.
     */
    private volatile Map<InetAddress, Integer> bindings = Map.of();
    /** The addresses of this host's interfaces, refreshed at start and at each reload. */
    private volatile Set<InetAddress> locals;

    LoopGuard(Set<InetAddress> locals) {
        this.locals = Set.copyOf(locals);
    }

    void locals(Set<InetAddress> addresses) {
        this.locals = Set.copyOf(addresses);
    }

    /**
     * Whether a client datagram from {@code source} comes from Stevedore itself or from a peer of
     * {@code plan}. {@code listenPort} is the port every listening socket shares; {@code listenIp}
     * the address they are bound to, or null for a wildcard {@code ListenAddr}, whose sockets answer
     * on every local address. Allocates nothing.
     */
    boolean fromItself(InetSocketAddress source, Forwarding plan, int listenPort, InetAddress listenIp) {
        int port = source.getPort();
        boolean listenerPort = port == listenPort;
        if (!listenerPort && sessionPorts.get(port) == 0 && !plan.isPeerPort(port)) {
            return false;
        }
        if (plan.isPeer(source)) {
            return true;
        }
        InetAddress ip = source.getAddress();
        if (listenerPort && (listenIp == null ? isLocal(ip) : listenIp.equals(ip))) {
            return true;
        }
        return sessionPorts.get(port) > 0 && sessionSocketAt(ip, port);
    }

    private boolean sessionSocketAt(InetAddress ip, int port) {
        AtomicLongArray[] all = bound;
        if (isLocal(ip) && (isSet(all[WILDCARD_V6], port) || ip instanceof Inet4Address && isSet(all[WILDCARD_V4], port))) {
            return true;
        }
        Integer index = bindings.get(ip);
        return index != null && isSet(all[index], port);
    }

    private boolean isLocal(InetAddress ip) {
        return ip.isLoopbackAddress() || locals.contains(ip);
    }

    /**
     * A session socket was bound to {@code local} (its address and the port it got).
     *
     * @return the binding to hand back to {@link #closed}
     */
    int opened(InetSocketAddress local) {
        InetAddress address = local.getAddress();
        int index = !address.isAnyLocalAddress() ? indexOf(address)
                : address instanceof Inet4Address ? WILDCARD_V4 : WILDCARD_V6;
        int port = local.getPort();
        AtomicLongArray bits = bound[index];
        bits.getAndUpdate(port >>> 6, word -> word | 1L << port);
        sessionPorts.incrementAndGet(port);
        return index << 16 | port;
    }

    /** The session socket of {@code binding}, from {@link #opened}, is closed. */
    void closed(int binding) {
        int port = binding & 0xffff;
        AtomicLongArray bits = bound[binding >>> 16];
        bits.getAndUpdate(port >>> 6, word -> word & ~(1L << port));
        sessionPorts.decrementAndGet(port);
    }

    private int indexOf(InetAddress address) {
        Integer known = bindings.get(address);
        return known != null ? known : add(address);
    }

    private synchronized int add(InetAddress address) {
        Integer known = bindings.get(address);
        if (known != null) {
            return known;
        }
        int index = bound.length;
        AtomicLongArray[] grown = Arrays.copyOf(bound, index + 1);
        grown[index] = new AtomicLongArray(PORTS / 64);
        // The bits first: a reader that finds the index must find its array.
        bound = grown;
        Map<InetAddress, Integer> more = new HashMap<>(bindings);
        more.put(address, index);
        bindings = Map.copyOf(more);
        return index;
    }

    private static boolean isSet(AtomicLongArray bits, int port) {
        return (bits.get(port >>> 6) & 1L << port) != 0;
    }
}
