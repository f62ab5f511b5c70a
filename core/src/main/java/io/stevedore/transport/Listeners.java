package io.stevedore.transport;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.stevedore.config.Addresses;
import io.stevedore.config.ServerConfig;
import io.stevedore.metrics.LoopCounters;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of one event loop: the one on {@code ListenAddr} and, when that is a
 * wildcard, one per local address on the same port, so that each reply leaves from the address its
 * client wrote to (Netty's epoll cannot send with {@code IP_PKTINFO}). A local address the wildcard
 * socket meets after start gets a socket of its own there and then, up to
 * {@link #MAX_LATE_ADDRESSES}. Everything but {@link #all()} runs on the loop.
 */
final class Listeners {

    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    /**
     * Local addresses a wildcard socket may meet after start (new interfaces, the rest of the
     * loopback network) that this loop looks at, at most: each adopted one costs a socket, and a
     * local process writing to many 127.x addresses must not open sockets without end.
     */
    static final int MAX_LATE_ADDRESSES = 64;

    private final EventLoop loop;
    private final Transport transport;
    private final ServerConfig server;
    private final Worker worker;
    private final RecvBufReport recvBuffers;
    private final ReadPace pace;
    private final LoopCounters counters;
    /** Indexed by {@link Listener#index}; grows only, on the loop; volatile for the admin endpoint. */
    private volatile Listener[] listeners = new Listener[0];
    /** The listener of each local address, null-free; late ones without a socket map to {@link #wildcard}. */
    private final Map<InetAddress, Listener> byAddress = new HashMap<>();
    /** The socket bound to a wildcard ListenAddr, which serves addresses without a socket of their own; else null. */
    private Listener wildcard;
    /** Whether addresses the wildcard socket meets get a socket of their own (SO_REUSEPORT is available). */
    private boolean adopting;
    private int port;
    /** The address of {@code ListenAddr}, or null for a wildcard: which local addresses our listeners send from. */
    private InetAddress listenIp;
    private int lateAddresses;

    Listeners(EventLoop loop, Transport transport, ServerConfig server, Worker worker, RecvBufReport recvBuffers,
            ReadPace pace, LoopCounters counters) {
        this.recvBuffers = recvBuffers;
        this.counters = counters;
        this.pace = pace;
        this.loop = loop;
        this.transport = transport;
        this.server = server;
        this.worker = worker;
    }

    /**
     * Binds {@code listenAddr}, then, when it is a wildcard, each of {@code locals} on the same port.
     * On the loop, registering and binding complete at once. A local address that cannot be bound is
     * logged and left to the wildcard socket.
     *
     * @param shared whether the sockets are bound with SO_REUSEPORT (several loops, or a wildcard
     *     and per-address sockets on one port)
     * @return the address {@code listenAddr} was bound to (with the port the system chose for port 0)
     * @throws ListenException if {@code listenAddr} itself cannot be bound
     */
    InetSocketAddress listen(InetSocketAddress listenAddr, List<InetAddress> locals, boolean shared) {
        Listener main = bind(listenAddr, shared);
        InetSocketAddress bound = main.channel.localAddress();
        port = bound.getPort();
        listenIp = main.isWildcard() ? null : bound.getAddress();
        if (main.isWildcard()) {
            wildcard = main;
            adopting = shared;
            bindLocals(locals);
        }
        return bound;
    }

    /** Binds a socket to each of {@code locals} this loop has none for yet (start, reload). */
    void bindLocals(List<InetAddress> locals) {
        if (!adopting) {
            return;
        }
        for (InetAddress local : locals) {
            Listener known = byAddress.get(local);
            if (known != null && !known.isWildcard()) {
                continue;
            }
            try {
                byAddress.put(local, bind(new InetSocketAddress(local, port), true));
            } catch (ListenException e) {
                log.warn("{}; datagrams to it are served by the wildcard socket, whose replies leave from the "
                        + "address the kernel chooses", e.getMessage());
            }
        }
    }

    private Listener bind(InetSocketAddress address, boolean shared) {
        InetAddress ip = address.getAddress();
        DatagramChannel channel;
        try {
            channel = transport.newChannel(ip instanceof Inet4Address ? SocketProtocolFamily.INET
                    : SocketProtocolFamily.INET6);
        } catch (RuntimeException e) {
            // No descriptor left (EMFILE) and the like: a ListenException the callers handle.
            throw new ListenException(address, "cannot open a socket: " + e.getMessage(), e);
        }
        Listener listener = new Listener(channel, ip.isAnyLocalAddress() ? null : ip, listeners.length);
        try {
            Transport.configureAnyListener(channel, server);
            recvBuffers.granted(RecvBufReport.Kind.LISTENER, server.recvBufBytes(), channel);
            transport.configureListener(channel, server, shared, pace);
            if (listener.isWildcard()) {
                transport.recordDestination(channel);
            }
            FloodWatch flood = new FloodWatch(channel, transport, counters, server.recvBufBytes(),
                    server.floodRecvBufBytes(), server.batchSize());
            channel.pipeline().addLast(new ListenerHandler(worker, listener, flood));
        } catch (RuntimeException e) {
            channel.unsafe().closeForcibly();
            throw new ListenException(address, "cannot set the socket up: " + e.getMessage(), e);
        } catch (Error e) {
            channel.unsafe().closeForcibly();
            throw e;
        }
        ChannelFuture registered = loop.register(channel);
        if (!registered.isSuccess()) {
            channel.unsafe().closeForcibly();
            throw new ListenException(address, "register failed: " + registered.cause(), registered.cause());
        }
        ChannelFuture bound = channel.bind(address);
        if (!bound.isSuccess()) {
            channel.close();
            throw new ListenException(address, ListenException.reason(bound.cause()), bound.cause());
        }
        Listener[] grown = Arrays.copyOf(listeners, listeners.length + 1);
        grown[listener.index] = listener;
        listeners = grown;
        return listener;
    }

    /** This loop's listening sockets, the one bound to ListenAddr first. Any thread. */
    List<Listener> all() {
        return List.of(listeners);
    }

    Listener get(int index) {
        return listeners[index];
    }

    /** The port every listening socket of this loop is bound to. */
    int port() {
        return port;
    }

    /** The address of {@code ListenAddr}, or null for a wildcard. */
    InetAddress listenIp() {
        return listenIp;
    }

    /**
     * The listener a client datagram that reached {@code via} is answered through: {@code via}
     * itself, unless it is the wildcard socket; then the socket of the local address the datagram
     * was sent to if this loop has one, else one bound now if the address is local (IPv4 only; see
     * {@link LocalAddresses#adoptable}), else the wildcard socket. The answer is remembered per
     * address, so the interfaces are listed once per new address.
     */
    Listener replyingFor(Listener via, InetSocketAddress recipient) {
        if (via != wildcard) {
            return via;
        }
        InetAddress destination = recipient == null ? null : recipient.getAddress();
        if (!adopting || destination == null || destination.isAnyLocalAddress()) {
            return wildcard;
        }
        Listener known = byAddress.get(destination);
        if (known != null) {
            return known;
        }
        if (lateAddresses >= MAX_LATE_ADDRESSES) {
            if (lateAddresses++ == MAX_LATE_ADDRESSES) {
                log.warn("{} local addresses not bound at start have reached the wildcard socket of this event loop; "
                        + "others, such as {}, are served by the wildcard socket, whose replies leave from the address "
                        + "the kernel chooses, until a reload or restart", MAX_LATE_ADDRESSES, destination.getHostAddress());
            }
            return wildcard;
        }
        lateAddresses++;
        Listener listener = wildcard;
        if (LocalAddresses.adoptable(destination)) {
            try {
                listener = bind(new InetSocketAddress(destination, port), true);
                log.info("now also listening on {}: a client wrote to this local address, which had no socket",
                        Addresses.format(listener.channel.localAddress()));
            } catch (ListenException e) {
                log.warn("{}; datagrams to it are served by the wildcard socket", e.getMessage());
            }
        }
        byAddress.put(destination, listener);
        return listener;
    }

    /** Stops every socket reading; what was read is still handled. */
    void stopReading() {
        for (Listener listener : listeners) {
            listener.channel.config().setAutoRead(false);
        }
    }

    void close() {
        for (Listener listener : listeners) {
            listener.channel.close();
        }
    }
}
