package io.stevedore.transport;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.session.SessionLimit;
import io.stevedore.session.SessionTable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running data plane: {@code ListenParallel} listening sockets on one address, each served by
 * its own event-loop thread with its own sessions (see {@link Worker}). {@link #start} returns once
 * every listener is bound; {@link #reload} swaps routes, upstreams and peers while sessions keep
 * flowing; {@link #close()} stops it.
 */
public final class Daemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private volatile StevedoreConfig config;
    private final Transport transport;
    private volatile List<Upstream> upstreams;
    /** Guarded by this: only {@link #reload} replaces it. */
    private Forwarding forwarding;
    private final Counters counters;
    private final SessionLimit sessionLimit;
    private final MultiThreadIoEventLoopGroup group;
    private final List<Worker> workers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Daemon(StevedoreConfig config, Transport transport, List<Upstream> upstreams, Forwarding forwarding,
            Counters counters, SessionLimit sessionLimit, MultiThreadIoEventLoopGroup group, List<Worker> workers) {
        this.config = config;
        this.transport = transport;
        this.upstreams = upstreams;
        this.forwarding = forwarding;
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
        Forwarding forwarding = new Forwarding(config, upstreams, counters.assign(config.upload().upstreams()),
                counters.slotCount());
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
                Worker worker = new Worker(loop, forwarding, counters.loop(index), table, transport, server);
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
            int sweepSec = Math.max(1, config.session().recycleIntervalSec());
            for (Worker worker : workers) {
                worker.loop.execute(() -> worker.startSweeping(sweepSec));
            }
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
        log.info("listening on {} with {} socket(s), {} transport, BatchSize {}, BufSize {}",
                ListenException.format(address), parallel, transport, server.batchSize(), server.bufSize());
        logIfUnreachable(config.session().maxSessions());
        return new Daemon(config, transport, List.copyOf(upstreams), forwarding, counters, limit, group,
                List.copyOf(workers));
    }

    /**
     * Runs {@code next} from now on, without dropping a session: routes, upstreams, peers,
     * weights, {@code Affinity}, {@code Latch}, {@code MaxTryTimes} and the {@code Session} section
     * change. Each event loop switches between two read batches, so every datagram is handled by
     * one configuration whole; a session's next datagram follows the new routes, and a removed peer
     * gets no new datagram. Peers kept in an upstream with a {@code HealthChecker} keep their
     * health (a peer down stays down until its checker brings it back); the others start up.
     * Counters are kept per peer (upstream name and address).
     *
     * <p>The listening sockets cannot change while they serve: a changed {@code ListenAddr},
     * {@code ListenParallel}, {@code BatchSize} or {@code BufSize} keeps its running value, and is
     * returned as a line saying so. The health checks are the caller's to restart on the new
     * {@link #upstreams()}.
     *
     * @return the settings that need a restart to take effect, one line each
     */
    public synchronized List<String> reload(StevedoreConfig next) throws InterruptedException {
        if (closed.get()) {
            throw new IllegalStateException("the daemon is stopped");
        }
        ServerConfig running = config.server();
        ServerConfig asked = next.server();
        List<String> needRestart = new ArrayList<>();
        unchanged(needRestart, "Server.ListenAddr", ListenException.format(running.listenAddr()),
                ListenException.format(asked.listenAddr()));
        unchanged(needRestart, "Server.ListenParallel", running.listenParallel(), asked.listenParallel());
        unchanged(needRestart, "Server.BatchSize", running.batchSize(), asked.batchSize());
        unchanged(needRestart, "Server.BufSize", running.bufSize(), asked.bufSize());
        ServerConfig server = new ServerConfig(running.listenAddr(), running.listenParallel(), running.batchSize(),
                running.bufSize(), asked.maxTryTimes());
        StevedoreConfig applied = new StevedoreConfig(server, next.session(), next.upload(), next.log(), next.admin());

        List<Upstream> nextUpstreams = new ArrayList<>();
        for (UpstreamConfig upstream : applied.upload().upstreams()) {
            nextUpstreams.add(Upstream.of(upstream, stillDown(upstream)));
        }
        Forwarding plan = new Forwarding(applied, nextUpstreams, counters.assign(applied.upload().upstreams()),
                counters.slotCount());
        boolean reopen = forwarding.sessionFamily == SocketProtocolFamily.INET
                && plan.sessionFamily == SocketProtocolFamily.INET6;
        if (reopen && sessionLimit.live() > 0) {
            log.warn("the new configuration has IPv6 peers: the {} live session(s), whose sockets are IPv4, are "
                    + "closed; their clients' next datagrams open new sessions", sessionLimit.live());
        }
        sessionLimit.setMax(applied.session().maxSessions());
        List<Future<?>> switched = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            switched.add(worker.loop.submit(() -> worker.replan(plan, applied.session(), reopen)));
        }
        for (Future<?> done : switched) {
            done.sync();
        }
        forwarding = plan;
        upstreams = List.copyOf(nextUpstreams);
        config = applied;
        return needRestart;
    }

    /**
     * At info, not warn: the default MaxSessions (100000) is above the ephemeral port range of a
     * stock Linux, so a warning would greet nearly every start of a default configuration.
     */
    private static void logIfUnreachable(int maxSessions) {
        for (String limit : SocketBudget.shortfalls(maxSessions, java.nio.file.Path.of("/proc"))) {
            log.info("Session.MaxSessions {} cannot be reached: {}; datagrams that would open more sessions are "
                    + "dropped as session_limit", maxSessions, limit);
        }
    }

    private static void unchanged(List<String> needRestart, String key, Object running, Object asked) {
        if (!running.equals(asked)) {
            needRestart.add(key + " changed from " + running + " to " + asked
                    + ": the listening sockets keep " + running + " until a restart");
        }
    }

    /** Addresses of the peers of {@code upstream} that are down now, if it is health-checked. */
    private Set<InetSocketAddress> stillDown(UpstreamConfig upstream) {
        if (upstream.healthChecker().isEmpty()) {
            // Nothing would bring them back: a peer down after a send error gets another chance.
            return Set.of();
        }
        Set<InetSocketAddress> down = new HashSet<>();
        for (Upstream old : upstreams) {
            if (old.name().equals(upstream.name())) {
                for (Peer peer : old.peers()) {
                    if (!old.isUp(peer.index())) {
                        down.add(peer.address());
                    }
                }
            }
        }
        return down;
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

    /**
     * The configuration the data plane runs: the last one reloaded, except for the listening
     * settings that need a restart (see {@link #reload}).
     */
    public StevedoreConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    /**
     * The upstreams, in config order: their peers' health is what the health checker sets. A
     * reload replaces them.
     */
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

    /** {@code Session.MaxSessions} as running. */
    public int maxSessions() {
        return sessionLimit.max();
    }

    /** Whether every listening socket is open and the daemon has not been stopped. */
    public boolean isListening() {
        if (closed.get()) {
            return false;
        }
        for (Worker worker : workers) {
            if (!worker.listener().isActive()) {
                return false;
            }
        }
        return true;
    }

    /** The bound address of each listening socket, one per event loop. */
    public List<InetSocketAddress> listenAddresses() {
        List<InetSocketAddress> addresses = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            addresses.add(worker.listener().localAddress());
        }
        return addresses;
    }

    /** The worker of event loop {@code index}: tests reach its loop, listener and sessions. */
    Worker worker(int index) {
        return workers.get(index);
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
    public synchronized void close() {
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
