package io.stevedore.transport;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.health.PeerStates;
import io.stevedore.metrics.Counters;
import io.stevedore.session.SessionLimit;
import io.stevedore.session.SessionTable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running data plane: {@code ListenParallel} event-loop threads, each with its own listening
 * sockets and sessions (see {@link Worker}). A specific {@code ListenAddr} gets one socket per loop;
 * a wildcard one gets, per loop, a socket on the wildcard and one on each local address (see
 * {@link LocalAddresses}), so every reply leaves from the address its client wrote to. It decides
 * and builds nothing of a configuration: the control plane compiles each {@link Forwarding} plan.
 * {@link #start} returns once every listener is bound on the first; {@link #apply} switches the
 * loops to the next while sessions keep flowing; {@link #close()} stops it.
 */
public final class Daemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Transport transport;
    private final PeerStates peerStates;
    /** Only {@link #apply} replaces it; read anywhere. */
    private volatile Forwarding plan;
    private final Counters counters;
    private final SessionLimit sessionLimit;
    private final MultiThreadIoEventLoopGroup group;
    private final List<Worker> workers;
    private final LoopGuard guard;
    private final SessionLog sessionLog;
    /** The owner's part of {@link #close()}, run once the loops stopped reading and before they end. */
    private final Runnable beforeLoopsEnd;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** The longest {@link #close()} waits for each of its parts: the sessions and listeners, then the loops. */
    static final long CLOSE_PART_MILLIS = 500;

    private Daemon(Forwarding plan, Transport transport, PeerStates peerStates, Counters counters,
            SessionLimit sessionLimit, MultiThreadIoEventLoopGroup group, List<Worker> workers, LoopGuard guard,
            SessionLog sessionLog, Runnable beforeLoopsEnd) {
        this.sessionLog = sessionLog;
        this.beforeLoopsEnd = beforeLoopsEnd;
        this.transport = transport;
        this.peerStates = peerStates;
        this.plan = plan;
        this.counters = counters;
        this.sessionLimit = sessionLimit;
        this.group = group;
        this.workers = workers;
        this.guard = guard;
    }

    /**
     * The event loops the data plane runs on {@code server} over {@code transport}: {@code ListenParallel},
     * or one where the platform has no SO_REUSEPORT. The owner sizes the {@link Counters} by it.
     */
    public static int loopCount(ServerConfig server, Transport transport) {
        return transport.reusePort() ? server.listenParallel() : 1;
    }

    /**
     * Starts the data plane on {@code plan}: binds every listener, then returns. The control plane
     * owns what it hands in: {@code peerStates}, to which the loops report the peers they suspect
     * and whose upstreams {@code plan} holds, the {@code counters} ({@link #loopCount} loops, and
     * the slots of {@code plan}), and {@code beforeLoopsEnd}, its part of {@link #close()}. If the
     * start fails, nothing of it runs and what was handed in is the caller's to close.
     *
     * @param transport {@link Transport#best()}, or {@link Transport#NIO} to force the fallback
     * @param sessionLog where every closed session is reported ({@link SessionLog#OFF}: nowhere)
     * @throws ListenException if {@code Server.ListenAddr} cannot be bound, e.g. it is in use
     */
    public static Daemon start(Forwarding plan, PeerStates peerStates, Counters counters, Transport transport,
            SessionLog sessionLog, Runnable beforeLoopsEnd) throws InterruptedException {
        StevedoreConfig config = plan.config();
        ServerConfig server = config.server();
        int parallel = loopCount(server, transport);
        if (parallel < server.listenParallel()) {
            log.warn("Server.ListenParallel {}: this platform has no SO_REUSEPORT, listening on one socket",
                    server.listenParallel());
        }
        if (counters.loopCount() != parallel) {
            throw new IllegalArgumentException("counters for " + counters.loopCount() + " loop(s), not " + parallel);
        }
        InetSocketAddress address = server.listenAddr();
        boolean wildcard = address.getAddress().isAnyLocalAddress();
        List<InetAddress> locals = List.of();
        if (wildcard && transport.reusePort()) {
            locals = localAddresses(address.getAddress());
        } else if (wildcard) {
            log.warn("Server.ListenAddr {}: this platform has no SO_REUSEPORT, so the wildcard socket cannot be "
                    + "joined by one per local address; replies leave from the address the kernel chooses",
                    Addresses.format(address));
        }
        // A wildcard socket and the per-address ones share the port through SO_REUSEPORT too.
        boolean shared = parallel > 1 || !locals.isEmpty();
        if (shared && address.getPort() != 0) {
            // Sockets with SO_REUSEPORT may share a port with another process of the same user,
            // which would silently split our traffic: make sure nobody holds it first.
            checkFree(address);
        }

        SessionLimit limit = new SessionLimit(config.session().maxSessions());
        LoopGuard guard = new LoopGuard(hostAddresses());
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(parallel,
                new DefaultThreadFactory("stevedore-dataplane", true), transport.ioHandlerFactory());
        List<Worker> workers = new ArrayList<>(parallel);
        RecvBufReport recvBuffers = new RecvBufReport();
        ClosedSocketDrops closedDrops = new ClosedSocketDrops();
        try {
            int affinityUpstreams = plan.anyKeptPeer ? plan.upstreams.length : 0;
            int latchSlots = plan.anyLatch ? plan.slotCount() : 0;
            int index = 0;
            for (EventExecutor executor : group) {
                EventLoop loop = (EventLoop) executor;
                SessionTable table = new SessionTable(limit, loop, counters.loop(index),
                        config.session().timeoutSec(), affinityUpstreams, latchSlots);
                Worker worker = new Worker(loop, plan, counters.loop(index), table, transport, server, guard,
                        peerStates, sessionLog, recvBuffers, closedDrops);
                workers.add(worker);
                InetSocketAddress asked = address;
                List<InetAddress> bindToo = locals;
                // On the loop, which then owns every listener from its first datagram on. With port
                // 0 the first socket picks the port and the others join it.
                address = loop.submit(() -> worker.listen(asked, bindToo, shared)).sync().getNow();
                index++;
            }
            int sweepSec = config.session().recycleIntervalSec();
            for (Worker worker : workers) {
                worker.loop.execute(() -> worker.startSweeping(sweepSec));
            }
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
        Daemon daemon = new Daemon(plan, transport, peerStates, counters, limit, group, List.copyOf(workers), guard,
                sessionLog, beforeLoopsEnd);
        if (transport == Transport.EPOLL) {
            counters.socketDrops(new KernelDrops(workers.size(), loop -> workers.get(loop).listeners().stream()
                    .mapToInt(listener -> transport.fd(listener.channel)).toArray(), closedDrops));
        }
        log.info("listening on {} with {} socket(s) per address, {} transport, BatchSize {}, BufSize {}{}",
                Addresses.format(address), parallel, transport, server.batchSize(), server.bufSize(),
                wildcard ? describeBound(daemon.listenAddresses()) : "");
        SocketBudget.logShortfalls(config.session());
        SocketBudget.warnUnbindable(config.session().sourceAddrs());
        return daemon;
    }

    private static String describeBound(List<InetSocketAddress> bound) {
        if (bound.size() <= 1) {
            return "; no socket per local address: replies leave from the address the kernel chooses";
        }
        StringBuilder line = new StringBuilder("; bound to");
        for (int i = 1; i < bound.size(); i++) {
            line.append(i == 1 ? " " : ", ").append(Addresses.format(bound.get(i)));
        }
        return line.append(" (IPv4 addresses that appear later are bound when a client first writes to them; "
                + "others at the next reload)").toString();
    }

    /**
     * Every address of this host, of both families: a client datagram from one of them on a port of
     * ours is our own (see {@link LoopGuard}). None but the loopback network if the host will not
     * list them.
     */
    private static Set<InetAddress> hostAddresses() {
        try {
            return new HashSet<>(LocalAddresses.of(new InetSocketAddress("::", 0).getAddress()));
        } catch (IOException e) {
            log.warn("cannot list the local addresses ({}): datagrams from this host's own sockets are recognised "
                    + "on the loopback network only", e.toString());
            return Set.of();
        }
    }

    /** The local addresses a wildcard stands for; none (the wildcard alone) if the host will not list them. */
    private static List<InetAddress> localAddresses(InetAddress wildcard) {
        try {
            return LocalAddresses.of(wildcard);
        } catch (IOException e) {
            log.warn("cannot list the local addresses ({}): listening on the wildcard alone, whose replies leave "
                    + "from the address the kernel chooses", e.toString());
            return List.of();
        }
    }

    /**
     * Runs {@code next} from now on, without dropping a session: routes, upstreams, peers,
     * weights, {@code Affinity}, {@code Latch}, {@code MaxTryTimes} and the {@code Session} section
     * change ({@code SourceAddrs} for new sessions: live ones keep their sockets). Each event loop
     * switches between two read batches, so every datagram is handled by one plan whole; a
     * session's next datagram follows the new routes, and a removed peer gets no new datagram.
     * Counters are kept per peer (upstream name and address). A wildcard {@code ListenAddr} gets
     * sockets on the local addresses that appeared since start and that no loop serves yet.
     *
     * <p>What changes is the control plane's decision ({@code control.ReloadDecision}), and
     * {@code next} its compilation, which replaces {@link #plan()}: the listening settings of its
     * configuration must be the running ones, since sockets cannot change while they serve.
     *
     * @param reopenSessions close the live sessions, whose sockets cannot reach the new peers
     */
    public synchronized void apply(Forwarding next, boolean reopenSessions) throws InterruptedException {
        if (closed.get()) {
            throw new IllegalStateException("the daemon is stopped");
        }
        StevedoreConfig applied = next.config();
        guard.locals(hostAddresses());
        if (reopenSessions && sessionLimit.live() > 0) {
            log.warn("the new configuration has peers the {} live session(s) cannot reach (IPv6 peers for IPv4 "
                    + "sockets, or IPv4 peers for sockets bound to an IPv6 Session.SourceAddrs): they are closed; "
                    + "their clients' next datagrams open new sessions", sessionLimit.live());
        }
        sessionLimit.setMax(applied.session().maxSessions());
        List<Future<?>> switched = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            switched.add(worker.loop.submit(() -> worker.replan(next, applied.session(), reopenSessions)));
        }
        for (Future<?> done : switched) {
            done.sync();
        }
        plan = next;
        // Every loop runs the new configuration from here on: binding new addresses is best effort.
        try {
            bindNewLocalAddresses();
        } catch (RuntimeException e) {
            log.warn("after the reload, binding the local addresses that appeared failed: {}; datagrams to them are "
                    + "served by the wildcard socket", e.toString());
        }
    }

    /**
     * With a wildcard ListenAddr, binds every loop to the local addresses that have appeared since
     * start and that no loop has a socket for yet. An address one loop adopted when a client wrote
     * to it stays with that loop: spreading it would move its clients to other loops, and so to new
     * sessions.
     */
    private void bindNewLocalAddresses() throws InterruptedException {
        InetSocketAddress listenAddr = listenAddress();
        if (!listenAddr.getAddress().isAnyLocalAddress() || listenAddresses().size() <= 1) {
            return;
        }
        Set<InetAddress> bound = new HashSet<>();
        for (InetSocketAddress address : listenAddresses()) {
            bound.add(address.getAddress());
        }
        List<InetAddress> fresh = new ArrayList<>(localAddresses(listenAddr.getAddress()));
        fresh.removeAll(bound);
        if (fresh.isEmpty()) {
            return;
        }
        for (Worker worker : workers) {
            worker.loop.submit(() -> worker.bindLocals(fresh)).sync();
        }
        log.info("now also listening on {}", fresh.stream()
                .map(ip -> Addresses.format(new InetSocketAddress(ip, listenAddr.getPort())))
                .collect(java.util.stream.Collectors.joining(", ")));
    }

    private static void checkFree(InetSocketAddress address) {
        try (java.nio.channels.DatagramChannel probe = java.nio.channels.DatagramChannel.open()) {
            probe.bind(address);
        } catch (IOException e) {
            throw new ListenException(address, ListenException.reason(e), e);
        }
    }

    /**
     * The configuration the data plane runs: the last one reloaded, except for the listening
     * settings that need a restart (see {@link #apply}).
     */
    public StevedoreConfig config() {
        return plan.config();
    }

    /** The plan the loops run: the last one applied. */
    public Forwarding plan() {
        return plan;
    }

    public Transport transport() {
        return transport;
    }

    /**
     * The upstreams, in config order: their peers' health is what {@link PeerStates} sets, from
     * the loops' suspects and the health checks' verdicts. A reload replaces them.
     */
    public List<Upstream> upstreams() {
        return peerStates.upstreams();
    }

    /**
     * The one writer of peer health, the control plane's: the event loops report the peers they
     * suspect to it, and the health checks (which the control plane starts) hand it their verdicts.
     */
    public PeerStates peerStates() {
        return peerStates;
    }

    /** Where closed sessions are reported ({@link SessionLog#OFF} without an access log). */
    public SessionLog sessionLog() {
        return sessionLog;
    }

    public Counters counters() {
        return counters;
    }

    /**
     * A page of the live sessions {@code query} selects, newest activity first, gathered from each
     * event loop by a task on that loop (no lock on the data path) and merged here.
     */
    public CompletableFuture<List<LiveSession>> sessions(SessionQuery query) {
        List<CompletableFuture<List<LiveSession>>> perLoop = new ArrayList<>();
        for (Worker worker : workers) {
            CompletableFuture<List<LiveSession>> found = new CompletableFuture<>();
            worker.loop.execute(() -> {
                try {
                    found.complete(worker.sessions(query));
                } catch (RuntimeException e) {
                    found.completeExceptionally(e);
                }
            });
            perLoop.add(found);
        }
        return CompletableFuture.allOf(perLoop.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<LiveSession> all = new ArrayList<>();
            perLoop.forEach(loop -> all.addAll(loop.join()));
            all.sort(SessionQuery.ORDER);
            return all.size() > query.limit() ? List.copyOf(all.subList(0, query.limit())) : all;
        });
    }

    /** Live sessions over every loop. */
    public int sessionCount() {
        return sessionLimit.live();
    }

    /** Live sessions that no peer has answered yet: the ones a new client at the cap may evict. */
    public int unansweredSessions() {
        return sessionLimit.unanswered();
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
            for (Listener listener : worker.listeners()) {
                if (!listener.channel.isActive()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Event loops, each with its own listening sockets (the {@code listener} label of the metrics). */
    public int loops() {
        return workers.size();
    }

    /**
     * The addresses the listening sockets of event loop {@code loop} are bound to: {@link #listenAddress()}
     * first, then, for a wildcard, one per local address, in the order they were bound.
     */
    public List<InetSocketAddress> listenAddresses(int loop) {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (Listener listener : workers.get(loop).listeners()) {
            addresses.add(listener.channel.localAddress());
        }
        return addresses;
    }

    /** Every address a listening socket is bound to, over all loops: {@link #listenAddress()} first, no repeats. */
    public List<InetSocketAddress> listenAddresses() {
        Set<InetSocketAddress> addresses = new java.util.LinkedHashSet<>();
        for (int loop = 0; loop < workers.size(); loop++) {
            addresses.addAll(listenAddresses(loop));
        }
        return List.copyOf(addresses);
    }

    /** The worker of event loop {@code index}: tests reach its loop, listener and sessions. */
    Worker worker(int index) {
        return workers.get(index);
    }

    /** {@code ListenAddr} with its bound port: where clients send (for a wildcard, to any local address). */
    public InetSocketAddress listenAddress() {
        return workers.get(0).listeners().get(0).channel.localAddress();
    }

    /**
     * Stops reading, flushes what is queued, closes every session and listener and stops the event
     * loops. Idempotent. Each part is waited for at most {@link #CLOSE_PART_MILLIS}: a loop that
     * does not finish in time is logged and left to the JVM's exit, since a stop must end within 2 s
     * whatever a loop is doing.
     */
    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        InetSocketAddress address = listenAddress();
        List<Future<?>> stopped = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            stopped.add(worker.loop.submit(worker::stop));
        }
        // One deadline for all loops: they stop in parallel, so the wait does not grow with ListenParallel.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_PART_MILLIS);
        int late = 0;
        for (Future<?> done : stopped) {
            long left = Math.max(0, deadline - System.nanoTime());
            late += done.awaitUninterruptibly(left, TimeUnit.NANOSECONDS) ? 0 : 1;
        }
        if (late > 0) {
            log.warn("{} event loop(s) did not close their sockets within {} ms; stopping without waiting", late,
                    CLOSE_PART_MILLIS);
        }
        // Before the loops end: what the loops handed over (a suspect's datagram) comes back to be released.
        beforeLoopsEnd.run();
        if (!group.shutdownGracefully(0, 1, TimeUnit.SECONDS)
                .awaitUninterruptibly(CLOSE_PART_MILLIS, TimeUnit.MILLISECONDS)) {
            log.warn("the event loops did not end within {} ms; stopping without waiting", CLOSE_PART_MILLIS);
        }
        log.info("stopped listening on {}", Addresses.format(address));
    }
}
