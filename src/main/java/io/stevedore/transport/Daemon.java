package io.stevedore.transport;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.session.SessionLimit;
import io.stevedore.session.SessionTable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running data plane: {@code ListenParallel} listening sockets on one address, each served by
 * its own event-loop thread with its own sessions (see {@link Worker}). {@link #start} returns once
 * every listener is bound; {@link #close()} stops it.
 */
public final class Daemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final StevedoreConfig config;
    private final Transport transport;
    private final List<Upstream> upstreams;
    private final Counters counters;
    private final SessionLimit sessionLimit;
    private final MultiThreadIoEventLoopGroup group;
    private final List<Worker> workers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Daemon(StevedoreConfig config, Transport transport, List<Upstream> upstreams, Counters counters,
            SessionLimit sessionLimit, MultiThreadIoEventLoopGroup group, List<Worker> workers) {
        this.config = config;
        this.transport = transport;
        this.upstreams = upstreams;
        this.counters = counters;
        this.sessionLimit = sessionLimit;
        this.group = group;
        this.workers = workers;
    }

    /** Starts on native epoll, or on NIO with a warning where epoll is unavailable. */
    public static Daemon start(StevedoreConfig config) throws InterruptedException {
        return start(config, Transport.best());
    }

    /**
     * Starts on the given transport ({@link Transport#NIO} forces the fallback).
     *
     * @throws ListenException if {@code Server.ListenAddr} cannot be bound, e.g. it is in use
     */
    public static Daemon start(StevedoreConfig config, Transport transport) throws InterruptedException {
        ServerConfig server = config.server();
        List<Upstream> upstreams = new ArrayList<>();
        config.upload().upstreams().forEach(u -> upstreams.add(Upstream.of(u)));
        Forwarding forwarding = new Forwarding(config, upstreams);

        int parallel = Math.max(1, server.listenParallel());
        if (parallel > 1 && !transport.reusePort()) {
            log.warn("Server.ListenParallel {}: this platform has no SO_REUSEPORT, listening on one socket", parallel);
            parallel = 1;
        }
        InetSocketAddress address = server.listenAddr();
        boolean shared = parallel > 1;
        if (shared && address.getPort() != 0) {
            // Sockets with SO_REUSEPORT may share a port with another process of the same user,
            // which would silently split our traffic: make sure nobody holds it first.
            checkFree(address);
        }

        Counters counters = new Counters(config.upload().upstreams(), parallel);
        SessionLimit limit = new SessionLimit(config.session().maxSessions());
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(parallel,
                new DefaultThreadFactory("stevedore-dataplane", true), transport.ioHandlerFactory());
        List<Worker> workers = new ArrayList<>(parallel);
        try {
            SocketProtocolFamily family = address.getAddress() instanceof Inet4Address
                    ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
            int affinityUpstreams = forwarding.anyAffinity ? upstreams.size() : 0;
            int latchSlots = forwarding.anyLatch ? forwarding.slotCount() : 0;
            int index = 0;
            for (EventExecutor executor : group) {
                EventLoop loop = (EventLoop) executor;
                SessionTable table = new SessionTable(limit, counters.loop(index),
                        config.session().timeoutSec(), affinityUpstreams, latchSlots);
                Worker worker = new Worker(index, loop, forwarding, counters.loop(index), table, transport, server);
                DatagramChannel listener = transport.newChannel(family);
                Transport.configureAnyListener(listener);
                transport.configureListener(listener, server, shared);
                listener.pipeline().addLast(new ListenerHandler(worker));
                await(loop.register(listener), address, "register");
                await(listener.bind(address), address, "bind");
                worker.attach(listener);
                workers.add(worker);
                // With port 0 the first socket picks the port and the others join it.
                address = listener.localAddress();
                index++;
            }
            for (Worker worker : workers) {
                worker.startSweeping(Math.max(1, config.session().recycleIntervalSec()));
            }
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
        log.info("listening on {} with {} socket(s), {} transport, BatchSize {}, BufSize {}",
                ListenException.format(address), parallel, transport, server.batchSize(), server.bufSize());
        return new Daemon(config, transport, List.copyOf(upstreams), counters, limit, group, List.copyOf(workers));
    }

    private static void checkFree(InetSocketAddress address) {
        try (java.nio.channels.DatagramChannel probe = java.nio.channels.DatagramChannel.open()) {
            probe.bind(address);
        } catch (IOException e) {
            throw new ListenException(address, reason(e), e);
        }
    }

    private static void await(ChannelFuture future, InetSocketAddress address, String what)
            throws InterruptedException {
        future.await();
        if (!future.isSuccess()) {
            future.channel().close();
            throw new ListenException(address, what.equals("bind") ? reason(future.cause())
                    : what + " failed: " + future.cause(), future.cause());
        }
    }

    /** The kernel's reason in an operator's words, whichever socket layer reported it. */
    private static String reason(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        String lower = message.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("address already in use")) {
            return "address already in use";
        }
        if (lower.contains("cannot assign requested address")) {
            return "not an address of this host";
        }
        if (lower.contains("permission denied")) {
            return "permission denied (ports below 1024 need privileges)";
        }
        return message;
    }

    public StevedoreConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    /** The upstreams, in config order: their peers' health is what the health checker sets. */
    public List<Upstream> upstreams() {
        return upstreams;
    }

    public Counters counters() {
        return counters;
    }

    /** Live sessions over every loop. */
    public int sessionCount() {
        return sessionLimit.live();
    }

    /** The bound address of each listening socket, one per event loop. */
    public List<InetSocketAddress> listenAddresses() {
        List<InetSocketAddress> addresses = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            addresses.add(worker.listener().localAddress());
        }
        return addresses;
    }

    /** Where clients send: the listening address with its bound port. */
    public InetSocketAddress listenAddress() {
        return workers.get(0).listener().localAddress();
    }

    /**
     * Stops reading, flushes what is queued, closes every session and listener and stops the event
     * loops. Idempotent; waits until the loops have stopped.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        InetSocketAddress address = listenAddress();
        for (Worker worker : workers) {
            worker.loop.submit(worker::stop).awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        log.info("stopped listening on {}", ListenException.format(address));
    }
}
