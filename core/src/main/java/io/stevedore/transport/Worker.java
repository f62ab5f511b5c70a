package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.ScheduledFuture;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.SessionConfig;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounters;
import io.stevedore.routing.RouteTable;
import io.stevedore.session.Session;
import io.stevedore.session.SessionTable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one event loop owns: its listening sockets (one per local address, see
 * {@link Listener}), its sessions and their upstream sockets,
 * one {@link Selector} per upstream and its counters. Every method runs on {@link #loop}; nothing
 * here is shared with another loop except the read-only {@link Forwarding} and the session cap.
 *
 * <p>Per client datagram: size check, route, session, peer, write. Writes are flushed once per read
 * batch and replies to clients once per event-loop turn, so the kernel sees sendmmsg batches.
 *
 * <p>A reload hands the loop a new {@link Forwarding} through {@link #replan}, a task on the loop
 * itself: it runs between two read batches, so each datagram sees one configuration whole.
 */
final class Worker {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    /** Literals: no name is looked up. */
    private static final InetSocketAddress ANY_V4 = new InetSocketAddress("0.0.0.0", 0);
    private static final InetSocketAddress ANY_V6 = new InetSocketAddress("::", 0);

    /** How long a peer marked down by a send error stays down when no health checker can revive it. */
    static final int PASSIVE_DOWN_SEC = 10;
    private static final long OPEN_FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * Local addresses a wildcard socket may meet after start (new interfaces, the rest of the
     * loopback network) that this loop looks at, at most: each adopted one costs a socket, and a
     * local process writing to many 127.x addresses must not open sockets without end.
     */
    static final int MAX_LATE_ADDRESSES = 64;

    final EventLoop loop;
    private Forwarding forwarding;
    private final LoopCounters counters;
    private final SessionTable sessions;
    private Selector[] selectors;
    private final Transport transport;
    private final ServerConfig server;
    private final LoopGuard guard;
    private final RecvByteBufAllocator sessionAllocator;
    private final ArrayList<Session> pendingFlush = new ArrayList<>();
    private final Runnable flushSessionsTask = this::flushSessionsTask;
    private final Runnable flushListenerTask = this::flushListenerTask;
    /** Indexed by {@link Listener#index}; grows only, on the loop; volatile for the admin endpoint. */
    private volatile Listener[] listeners = new Listener[0];
    /** On the loop: the listener of each local address, null-free; late ones without a socket map to {@link #wildcard}. */
    private final Map<InetAddress, Listener> byAddress = new HashMap<>();
    private final ArrayList<Listener> pendingListeners = new ArrayList<>();
    /** The socket bound to a wildcard ListenAddr, which serves addresses without a socket of their own; else null. */
    private Listener wildcard;
    /** Whether addresses the wildcard socket meets get a socket of their own (SO_REUSEPORT is available). */
    private boolean adopting;
    private int port;
    /** The address of {@code ListenAddr}, or null for a wildcard: which local addresses our listeners send from. */
    private InetAddress listenIp;
    private int lateAddresses;
    private final Segments segments;
    private final Outbox outbox;
    private final ByteBuf[] replies = new ByteBuf[Segments.MAX_SEGMENTS];
    private int replyCount;
    private InetSocketAddress replyClient;
    private int replySegment;
    private int replyBytes;
    private Listener replyListener;
    private boolean replyLastShort;
    private boolean sessionFlushScheduled;
    private boolean listenerFlushScheduled;
    private long now;
    private boolean nowFresh;
    private long lastOpenFailureLog = Long.MIN_VALUE;
    private ScheduledFuture<?> sweeping;
    private int sweepIntervalSec;
    /** The position in {@link Forwarding#sourceAddrs} of the address the next session socket takes. */
    private int nextSource;

    Worker(EventLoop loop, Forwarding forwarding, LoopCounters counters, SessionTable sessions,
            Transport transport, ServerConfig server, LoopGuard guard) {
        this.loop = loop;
        this.guard = guard;
        this.forwarding = forwarding;
        this.counters = counters;
        this.sessions = sessions;
        this.transport = transport;
        this.server = server;
        this.sessionAllocator = transport.sessionAllocator(server);
        this.segments = new Segments(transport.segmentation(), counters);
        this.outbox = new Outbox(segments);
        this.selectors = selectorsOf(forwarding);
    }

    private static Selector[] selectorsOf(Forwarding forwarding) {
        Selector[] selectors = new Selector[forwarding.upstreams.length];
        for (int i = 0; i < selectors.length; i++) {
            selectors[i] = forwarding.upstreams[i].newSelector();
        }
        return selectors;
    }

    /**
     * Binds this loop's listening sockets: {@code listenAddr}, then, when it is a wildcard, each of
     * {@code locals} on the same port. Call on the loop, where registering and binding complete at
     * once. A local address that cannot be bound is logged and left to the wildcard socket.
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

    /** Binds a socket to each of {@code locals} this loop has none for yet (start, reload). Call on the loop. */
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

    /** A listening socket of this loop bound to {@code address}, reading at once. Call on the loop. */
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
            Transport.configureAnyListener(channel);
            transport.configureListener(channel, server, shared);
            if (listener.isWildcard()) {
                transport.recordDestination(channel);
            }
            channel.pipeline().addLast(new ListenerHandler(this, listener));
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
    List<Listener> listeners() {
        return List.of(listeners);
    }

    /** The configuration this loop forwards by now; only on the loop. */
    Forwarding forwarding() {
        return forwarding;
    }

    /** This loop's sessions; only on the loop. */
    SessionTable sessions() {
        return sessions;
    }

    /** Sweeps idle sessions every {@code intervalSec}. Call on the loop. */
    void startSweeping(int intervalSec) {
        if (sweeping != null) {
            if (intervalSec == sweepIntervalSec) {
                return;
            }
            sweeping.cancel(false);
        }
        sweepIntervalSec = intervalSec;
        sweeping = loop.scheduleAtFixedRate(() -> sessions.sweep(System.nanoTime()), intervalSec, intervalSec,
                TimeUnit.SECONDS);
    }

    /**
     * Runs this loop on {@code next} from now on (a reload). Call on the loop. Live sessions keep
     * their sockets; what they remember is carried over by peer (upstream name and address):
     * a kept peer ({@code Affinity: session}) that is still configured stays kept, one that is
     * gone is chosen again on the next datagram; latches of peers still configured with
     * {@code Latch} stay, the others are forgotten.
     *
     * @param reopenSessions close the live sessions instead, so that their clients' next datagrams
     *     open sockets of the new family (IPv6 peers were added to a configuration of IPv4 ones)
     */
    void replan(Forwarding next, SessionConfig session, boolean reopenSessions) {
        Forwarding previous = forwarding;
        counters.ensurePeerSlots(next.slotCount());
        int latchSlots = next.anyLatch ? next.slotCount() : 0;
        sessions.reconfigure(session.timeoutSec(), next.anyAffinity ? next.upstreams.length : 0, latchSlots);
        if (reopenSessions) {
            flushSessions();
            sessions.closeAll(CloseReason.RELOAD);
        } else {
            sessions.forEach(s -> carryOver(s, previous, next, latchSlots));
        }
        forwarding = next;
        selectors = selectorsOf(next);
        startSweeping(Math.max(1, session.recycleIntervalSec()));
    }

    private static void carryOver(Session session, Forwarding previous, Forwarding next, int latchSlots) {
        int[] kept = null;
        if (next.anyAffinity) {
            kept = new int[next.upstreams.length];
            Arrays.fill(kept, Session.NONE);
            if (session.keepsPeers()) {
                for (int u = 0; u < previous.upstreams.length; u++) {
                    int peer = previous.sessionAffinity[u] ? session.keptPeer(u) : Session.NONE;
                    if (peer == Session.NONE) {
                        continue;
                    }
                    int slot = previous.slot(u, peer);
                    int upstream = next.upstreamOf(slot);
                    if (upstream != Forwarding.FOREIGN && next.sessionAffinity[upstream]) {
                        kept[upstream] = next.peerOf(slot);
                    }
                }
            }
        }
        session.keepPeers(kept);
        session.resizeLatches(latchSlots);
        for (int slot = 0; slot < latchSlots; slot++) {
            if (!next.has(slot) || !next.latch(slot)) {
                session.latch(slot, null);
            }
        }
    }

    /**
     * The loop's clock, read once per read batch rather than per datagram: idle timeouts are in
     * seconds, and a batch lasts microseconds.
     */
    long now() {
        if (!nowFresh) {
            now = System.nanoTime();
            nowFresh = true;
        }
        return now;
    }

    void endBatch() {
        nowFresh = false;
    }

    void fromClient(Listener via, DatagramPacket packet) {
        if (via == wildcard) {
            via = byDestination(packet.recipient());
        }
        ByteBuf data = packet.content();
        int length = data.readableBytes();
        counters.received(length);
        InetSocketAddress client = packet.sender();
        if (guard.fromItself(client, forwarding, port, listenIp)) {
            drop(DropReason.LOOP, data);
            return;
        }
        if (length > forwarding.bufSize || length == 0) {
            drop(length == 0 ? DropReason.EMPTY : DropReason.OVERSIZE, data);
            return;
        }
        int upstream = forwarding.routes.route(data);
        if (upstream == RouteTable.NO_ROUTE) {
            drop(DropReason.NO_ROUTE, data);
            return;
        }
        Session session = sessions.get(client);
        int peer;
        if (session == null) {
            // Choose first: a datagram that cannot go anywhere must not cost a socket.
            peer = selectors[upstream].select(data);
            if (peer < 0) {
                drop(peer == Selector.SHORT_KEY ? DropReason.SHORT_KEY : DropReason.NO_PEER, data);
                return;
            }
            session = open(client);
            if (session == null) {
                drop(DropReason.SESSION_LIMIT, data);
                return;
            }
            if (forwarding.sessionAffinity[upstream]) {
                session.keepPeer(upstream, peer);
            }
        } else {
            peer = choosePeer(session, upstream, data);
            if (peer < 0) {
                drop(peer == Selector.SHORT_KEY ? DropReason.SHORT_KEY : DropReason.NO_PEER, data);
                return;
            }
        }
        sessions.touch(session, now());
        // A client that writes to another local address gets its next replies from that one.
        session.replyVia(via.index);
        send(session, upstream, peer, data, forwarding.maxTryTimes);
    }

    /**
     * The listener of the local address a datagram that reached the wildcard socket was sent to:
     * the address's own socket if this loop has one, else one bound now if the address is local
     * (IPv4 only; see {@link LocalAddresses#adoptable}), else the wildcard socket. The answer is
     * remembered per address, so the interfaces are listed once per new address.
     */
    private Listener byDestination(InetSocketAddress recipient) {
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
                        ListenException.format(listener.channel.localAddress()));
            } catch (ListenException e) {
                log.warn("{}; datagrams to it are served by the wildcard socket", e.getMessage());
            }
        }
        byAddress.put(destination, listener);
        return listener;
    }

    private int choosePeer(Session session, int upstream, ByteBuf data) {
        if (!forwarding.sessionAffinity[upstream]) {
            return selectors[upstream].select(data);
        }
        int kept = session.keptPeer(upstream);
        if (kept != Session.NONE && forwarding.upstreams[upstream].inRotation(kept)) {
            return kept;
        }
        int peer = selectors[upstream].select(data);
        session.keepPeer(upstream, peer >= 0 ? peer : Session.NONE);
        return peer;
    }

    /** Writes {@code data} (whose reference passes to the write) toward the peer; flushed at batch end. */
    private void send(Session session, int upstream, int peer, ByteBuf data, int triesLeft) {
        send(session, upstream, peer, data, triesLeft, false);
    }

    private void send(Session session, int upstream, int peer, ByteBuf data, int triesLeft, boolean afterReport) {
        Channel channel = session.channel();
        if (Backpressure.backedUp(channel)) {
            drop(DropReason.BACKPRESSURE, data);
            return;
        }
        int slot = forwarding.slot(upstream, peer);
        InetSocketAddress target = session.latched(slot);
        session.sentTo(slot, target == null, now());
        if (target == null) {
            target = forwarding.address(slot);
        }
        ByteBuf retry = triesLeft > 1 ? data.retain() : null;
        outbox.add(session, target, data, new ForwardPromise(this, forwarding, session, upstream, peer,
                slot, data.readableBytes(), triesLeft, retry, afterReport));
        if (session.markFlushPending()) {
            pendingFlush.add(session);
        }
    }

    void forwarded(ForwardPromise sent) {
        counters.forwarded(sent.slot, sent.bytes);
        if (sent.retry != null) {
            sent.retry.release();
        }
    }

    /**
     * A send failed; the datagram's peer, in the running configuration, is {@code sent.peer}
     * unless a reload came between. What happens depends on why:
     * <ul>
     * <li>the session's socket is gone: the datagram is dropped ({@code send_error});
     * <li>EMSGSIZE for a datagram larger than UDP carries to its peer's family: not the peer's
     *     fault: dropped as {@code oversize}, no other peer tried;
     * <li>an errno an ICMP report leaves (ECONNREFUSED, host or network unreachable, a stale
     *     EMSGSIZE...): possibly about an earlier datagram, so it is pinned on a peer only as
     *     {@link #reported} says, and the datagram goes again to its peer if that is still in
     *     rotation, else to the next choice. The report is purged first, so if that retry fails
     *     with no route again (ENETUNREACH, EHOSTUNREACH), the error is the send's own and is
     *     handled as below;
     * <li>anything else (the kernel refused this very send: EACCES, no route on a retry...): its
     *     peer is marked down and the datagram goes to the next choice.
     * </ul>
     * Retries count against {@code MaxTryTimes}; a datagram out of tries is dropped as
     * {@code send_error}.
     */
    void sendFailed(ForwardPromise sent, Throwable cause) {
        Session session = sent.session;
        if (session.isClosed() || cause instanceof ClosedChannelException) {
            counters.dropped(DropReason.SEND_ERROR);
            release(sent.retry);
            return;
        }
        // A failed send may have left a report queued (the kernel queues one for EMSGSIZE, and the
        // ICMP report behind ECONNREFUSED stays queued after it surfaced).
        transport.purgeErrorQueue((DatagramChannel) session.channel());
        int errno = SocketErrors.errno(cause);
        if (errno == SocketErrors.EMSGSIZE && sent.bytes > SocketErrors.maxPayload(forwarding.address(sent.slot))) {
            // The datagram's own size (an IPv6 socket sending to an IPv4 peer): no peer is at fault.
            counters.dropped(DropReason.OVERSIZE);
            release(sent.retry);
            return;
        }
        int upstream = sent.upstream;
        int failedPeer = sent.peer;
        if (sent.plan != forwarding) {
            // Sent before a reload: the same peer and upstream, by name, in the running configuration.
            upstream = forwarding.upstreamOf(sent.slot);
            failedPeer = forwarding.peerOf(sent.slot);
            if (upstream == Forwarding.FOREIGN) {
                upstream = forwarding.upstreamIndex(sent.plan.upstreams[sent.upstream].name());
            }
        }
        boolean report = errno == SocketErrors.EMSGSIZE || SocketErrors.icmpReport(errno);
        if (report && sent.afterReport && SocketErrors.noRoute(errno)) {
            // The report was purged before this retry, and a route lookup can fail this way on its
            // own: the error is this send's (no route to the peer). A refusal (ECONNREFUSED) never
            // is: it is a new report, from a datagram sent in the meantime.
            report = false;
        }
        if (report && errno == SocketErrors.EMSGSIZE) {
            // A "fragmentation needed" report about an earlier datagram: nobody's fault; send again.
            log.debug("session {}: path MTU report surfaced on a send", session.client());
        } else if (report) {
            // Possibly about an earlier datagram to another destination: pinned by the session's
            // history, never on this send's peer for being the one that met it.
            reported(session, cause);
        } else {
            counters.sendError(sent.slot);
            if (failedPeer != Forwarding.FOREIGN) {
                markDown(upstream, failedPeer, "send error: " + cause.getMessage());
            }
        }
        if (sent.retry == null) {
            counters.dropped(DropReason.SEND_ERROR);
            return;
        }
        if (upstream == Forwarding.FOREIGN) {
            drop(DropReason.SEND_ERROR, sent.retry);
            return;
        }
        int peer = failedPeer != Forwarding.FOREIGN && forwarding.upstreams[upstream].inRotation(failedPeer)
                ? failedPeer : choosePeer(session, upstream, sent.retry);
        if (peer < 0) {
            drop(DropReason.SEND_ERROR, sent.retry);
            return;
        }
        send(session, upstream, peer, sent.retry, sent.triesLeft - 1, report && peer == failedPeer);
        // The failure is reported from inside a flush, which may be the last of this turn.
        if (!sessionFlushScheduled) {
            sessionFlushScheduled = true;
            loop.execute(flushSessionsTask);
        }
    }

    /**
     * A receive on the session's socket failed: with RECVERR set that is an ICMP error report about
     * a datagram sent earlier (or, for EMSGSIZE, a path that carries less than was sent).
     */
    void socketError(Session session, Throwable cause) {
        if (session.isClosed()) {
            return;
        }
        transport.purgeErrorQueue((DatagramChannel) session.channel());
        if (SocketErrors.unreachable(SocketErrors.errno(cause))) {
            reported(session, cause);
        } else {
            log.debug("session {}: socket error", session.client(), cause);
        }
    }

    /**
     * Epoll woke the session's socket and there was nothing to read and no error to return: an
     * ICMP report is queued whose error a send took without telling (a sendmmsg returns the error
     * of a datagram after the first as a short count). It can only be dropped.
     */
    void socketWokeEmpty(Session session) {
        if (!session.isClosed()) {
            transport.purgeErrorQueue((DatagramChannel) session.channel());
        }
    }

    /**
     * An ICMP report (port, host or network unreachable) surfaced on the session's socket. It
     * names no destination: the peer is marked down only when the session sent to that peer alone
     * lately ({@link Session#culprit}); otherwise it is counted as ambiguous and left to the active
     * health checker.
     */
    private void reported(Session session, Throwable cause) {
        int slot = session.culprit(now());
        if (slot == Session.NONE) {
            counters.passiveAmbiguous();
            return;
        }
        counters.sendError(slot);
        int upstream = forwarding.upstreamOf(slot);
        if (upstream != Forwarding.FOREIGN) {
            markDown(upstream, forwarding.peerOf(slot), "unreachable, reported by ICMP: " + cause.getMessage());
        }
    }

    private void markDown(int upstreamIndex, int peer, String reason) {
        Upstream upstream = forwarding.upstreams[upstreamIndex];
        boolean changed = upstream.setUp(peer, false, reason);
        if (changed && upstream.config().healthChecker().isEmpty()) {
            // Nothing else would ever bring this peer back.
            loop.schedule(() -> upstream.setUp(peer, true,
                    "down for " + PASSIVE_DOWN_SEC + " s after a send error; no HealthChecker, trying it again"),
                    PASSIVE_DOWN_SEC, TimeUnit.SECONDS);
        }
    }

    /** A datagram that reached a session socket: relayed to the client if it comes from a peer IP. */
    void fromPeer(Session session, DatagramPacket reply) {
        ByteBuf data = reply.content();
        InetSocketAddress source = reply.sender();
        int slot = forwarding.replySlot(source, session.lastSlot(), now());
        if (slot == Forwarding.FOREIGN) {
            drop(DropReason.FOREIGN_REPLY, data);
            return;
        }
        int length = data.readableBytes();
        if (length > forwarding.bufSize || length == 0) {
            drop(length == 0 ? DropReason.EMPTY : DropReason.OVERSIZE, data);
            return;
        }
        sessions.touch(session, now());
        if (forwarding.latch(slot)) {
            session.latch(slot, source.equals(forwarding.address(slot)) ? null : source);
        }
        Listener listener = listeners[session.replyVia()];
        DatagramChannel channel = listener.channel;
        if (Backpressure.backedUp(channel)) {
            drop(DropReason.BACKPRESSURE, data);
            return;
        }
        counters.replied(slot, length);
        // From now on the session is not evicted for a new client at MaxSessions.
        sessions.answered(session);
        addReply(listener, session.client(), data);
    }

    /**
     * Holds a reply while the next ones of the same session read may join it in one segmented send
     * to the client; {@link #endReplies()} writes what is held when the session's read ends.
     */
    private void addReply(Listener listener, InetSocketAddress client, ByteBuf data) {
        int length = data.readableBytes();
        if (replyCount > 0 && (replyClient != client || replyListener != listener
                || replyCount == Segments.MAX_SEGMENTS || length > replySegment || replyBytes + length > Segments.MAX_RUN_BYTES
                || replyLastShort || !segments.combines(replySegment))) {
            endReplies();
        }
        if (replyCount == 0) {
            replyListener = listener;
            replyClient = client;
            replySegment = length;
            replyBytes = 0;
            replyLastShort = false;
        }
        replies[replyCount++] = data;
        replyBytes += length;
        replyLastShort = length < replySegment;
    }

    /** Writes the replies held by {@link #addReply}; the listener is flushed once per turn. */
    void endReplies() {
        if (replyCount == 0) {
            return;
        }
        Listener listener = replyListener;
        segments.write(listener.channel, replyClient, replies, null, 0, replyCount);
        Arrays.fill(replies, 0, replyCount, null);
        replyCount = 0;
        replyClient = null;
        replyListener = null;
        if (!listener.flushPending) {
            listener.flushPending = true;
            pendingListeners.add(listener);
        }
        if (!listenerFlushScheduled) {
            // Once per turn: replies that arrive on many session sockets leave in one sendmmsg.
            listenerFlushScheduled = true;
            loop.execute(flushListenerTask);
        }
    }

    void flushSessions() {
        // A send that fails during a flush is retried: its datagram lands in the outbox and its
        // session again at the end of pendingFlush, both taken by the next pass.
        while (!pendingFlush.isEmpty() || !outbox.isEmpty()) {
            outbox.writeAll();
            int flushing = pendingFlush.size();
            for (int i = 0; i < flushing; i++) {
                pendingFlush.get(i).flush();
            }
            if (flushing == pendingFlush.size()) {
                pendingFlush.clear();
            } else {
                pendingFlush.subList(0, flushing).clear();
            }
        }
    }

    private void flushSessionsTask() {
        sessionFlushScheduled = false;
        flushSessions();
    }

    private void flushListenerTask() {
        listenerFlushScheduled = false;
        flushListeners();
    }

    private void flushListeners() {
        for (int i = 0; i < pendingListeners.size(); i++) {
            Listener listener = pendingListeners.get(i);
            listener.flushPending = false;
            listener.channel.flush();
        }
        pendingListeners.clear();
    }

    /** A session socket bound as {@code binding} ({@link LoopGuard#opened}) is closed. */
    void socketClosed(int binding) {
        guard.closed(binding);
    }

    void listenerError() {
        counters.listenerError();
    }

    private Session open(InetSocketAddress client) {
        try {
            return sessions.open(client, now(), this::openSocket);
        } catch (Exception e) {
            long t = now();
            if (t - lastOpenFailureLog >= OPEN_FAILURE_LOG_INTERVAL_NANOS || lastOpenFailureLog == Long.MIN_VALUE) {
                lastOpenFailureLog = t;
                log.warn("cannot open an upstream socket for client {}: {} (counted as session_limit; "
                        + "logged at most every 10 s)", client, e.toString());
            }
            return null;
        }
    }

    /**
     * Creates and registers a session socket on this loop. Called on the loop, so Netty registers
     * inline: the socket is active when this returns and the first datagram can be written at once.
     * It is bound here, through its descriptor (Netty keeps no local address, about 100 bytes of
     * heap per session): to the wildcard address and a free port, or with {@code Session.SourceAddrs}
     * to the next of them (see {@link #bindSource}).
     */
    private Channel openSocket(Session session) throws Exception {
        DatagramChannel channel = transport.newChannel(forwarding.sessionFamily);
        SessionHandler handler = new SessionHandler(this, session);
        try {
            channel.config().setOption(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true);
            transport.configureSessionSocket(channel, forwarding.sessionFamily, sessionAllocator, server);
            channel.pipeline().addLast(handler);
        } catch (RuntimeException | Error e) {
            // The socket is open from newChannel on; unregistered, nothing else would close it.
            channel.unsafe().closeForcibly();
            throw e;
        }
        check(loop.register(channel), channel, "register");
        try {
            InetSocketAddress local;
            if (forwarding.sourceAddrs.length > 0) {
                local = bindSource(channel, forwarding.sourceAddrs);
            } else {
                // Bound now, not by the kernel on the first send: when the ephemeral ports run out
                // this bind fails and the session is refused (session_limit), where a failing
                // autobind would fail the send with EAGAIN, which Netty takes for a full buffer and
                // retries on every turn.
                local = transport.bindSessionSocket(channel, forwarding.sessionFamily == SocketProtocolFamily.INET6
                        ? ANY_V6 : ANY_V4);
            }
            handler.bound(guard.opened(local));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * Binds a new session socket to the next of {@code sources} in this loop's rotation, port 0.
     * Each address has its own ephemeral ports, so K addresses hold K port ranges of sessions. An
     * address that cannot be bound (no longer local, or its ports all taken) is passed over for the
     * next one; when none can be, the session is not opened.
     */
    private InetSocketAddress bindSource(DatagramChannel channel, InetSocketAddress[] sources) throws IOException {
        IOException last = null;
        InetSocketAddress lastSource = null;
        for (int tried = 0; tried < sources.length; tried++) {
            if (nextSource >= sources.length) {
                // A reload may have shortened the list.
                nextSource = 0;
            }
            InetSocketAddress source = sources[nextSource++];
            try {
                return transport.bindSessionSocket(channel, source);
            } catch (IOException e) {
                last = e;
                lastSource = source;
            }
        }
        throw new IOException("no address of Session.SourceAddrs could be bound (" + sources.length + " tried; "
                + lastSource.getAddress().getHostAddress() + ": " + last.getMessage() + ")", last);
    }

    private static void check(ChannelFuture future, Channel channel, String what) throws Exception {
        if (!future.isDone()) {
            channel.close();
            throw new IllegalStateException(what + " of a session socket did not complete on its event loop");
        }
        if (!future.isSuccess()) {
            channel.close();
            Throwable cause = future.cause();
            throw cause instanceof Exception ? (Exception) cause : new IllegalStateException(cause);
        }
    }

    private void drop(DropReason reason, ByteBuf data) {
        counters.dropped(reason);
        data.release();
    }

    private static void release(ByteBuf data) {
        if (data != null) {
            data.release();
        }
    }

    /** Stops reading, sends what is queued and closes every socket of this loop. */
    void stop() {
        Listener[] all = listeners;
        if (all.length == 0) {
            return;
        }
        for (Listener listener : all) {
            listener.channel.config().setAutoRead(false);
        }
        flushSessions();
        endReplies();
        flushListeners();
        sessions.closeAll(CloseReason.SHUTDOWN);
        for (Listener listener : all) {
            listener.channel.close();
        }
    }
}
