package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.SessionConfig;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounters;
import io.stevedore.routing.RouteTable;
import io.stevedore.session.Session;
import io.stevedore.session.SessionTable;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one event loop owns: its listening socket, its sessions and their upstream sockets,
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

    /** How long a peer marked down by a send error stays down when no health checker can revive it. */
    static final int PASSIVE_DOWN_SEC = 10;
    private static final long OPEN_FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    final EventLoop loop;
    private Forwarding forwarding;
    private final LoopCounters counters;
    private final SessionTable sessions;
    private Selector[] selectors;
    private final Transport transport;
    private final ServerConfig server;
    private final RecvByteBufAllocator sessionAllocator;
    private final ArrayList<Session> pendingFlush = new ArrayList<>();
    private final Runnable flushSessionsTask = this::flushSessionsTask;
    private final Runnable flushListenerTask = this::flushListenerTask;
    private DatagramChannel listener;
    private boolean sessionFlushScheduled;
    private boolean listenerFlushScheduled;
    private long now;
    private boolean nowFresh;
    private long lastOpenFailureLog = Long.MIN_VALUE;
    private ScheduledFuture<?> sweeping;
    private int sweepIntervalSec;

    Worker(EventLoop loop, Forwarding forwarding, LoopCounters counters, SessionTable sessions,
            Transport transport, ServerConfig server) {
        this.loop = loop;
        this.forwarding = forwarding;
        this.counters = counters;
        this.sessions = sessions;
        this.transport = transport;
        this.server = server;
        this.sessionAllocator = transport.sessionAllocator(server);
        this.selectors = selectorsOf(forwarding);
    }

    private static Selector[] selectorsOf(Forwarding forwarding) {
        Selector[] selectors = new Selector[forwarding.upstreams.length];
        for (int i = 0; i < selectors.length; i++) {
            selectors[i] = forwarding.upstreams[i].newSelector();
        }
        return selectors;
    }

    void attach(DatagramChannel listener) {
        this.listener = listener;
    }

    DatagramChannel listener() {
        return listener;
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
            sessions.closeAll();
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

    void fromClient(DatagramPacket packet) {
        ByteBuf data = packet.content();
        int length = data.readableBytes();
        counters.received(length);
        if (length > forwarding.bufSize || length == 0) {
            drop(length == 0 ? DropReason.EMPTY : DropReason.OVERSIZE, data);
            return;
        }
        int upstream = forwarding.routes.route(data);
        if (upstream == RouteTable.NO_ROUTE) {
            drop(DropReason.NO_ROUTE, data);
            return;
        }
        InetSocketAddress client = packet.sender();
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
        session.touch(now());
        send(session, upstream, peer, data, forwarding.maxTryTimes);
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
        channel.write(new DatagramPacket(data, target), new ForwardPromise(this, forwarding, session, upstream, peer,
                slot, data.readableBytes(), triesLeft, retry));
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
     * <li>EMSGSIZE: the datagram is too large for the way to its peer, which is not the peer's
     *     fault: dropped as {@code oversize}, no other peer tried;
     * <li>ECONNREFUSED: an ICMP port unreachable for an earlier datagram surfaced on this send, and
     *     it is pinned on a peer only as {@link #reported} says; the datagram goes again to its
     *     peer if that is still in rotation, else to the next choice;
     * <li>anything else (the kernel refused this very send: no route, EACCES...): its peer is
     *     marked down and the datagram goes to the next choice.
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
        if (errno == SocketErrors.EMSGSIZE) {
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
        if (errno == SocketErrors.ECONNREFUSED) {
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
        send(session, upstream, peer, sent.retry, sent.triesLeft - 1);
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
        int slot = forwarding.replySlot(source, session.lastSlot());
        if (slot == Forwarding.FOREIGN) {
            drop(DropReason.FOREIGN_REPLY, data);
            return;
        }
        int length = data.readableBytes();
        if (length > forwarding.bufSize || length == 0) {
            drop(length == 0 ? DropReason.EMPTY : DropReason.OVERSIZE, data);
            return;
        }
        session.touch(now());
        if (forwarding.latch(slot)) {
            session.latch(slot, source.equals(forwarding.address(slot)) ? null : source);
        }
        if (Backpressure.backedUp(listener)) {
            drop(DropReason.BACKPRESSURE, data);
            return;
        }
        counters.replied(slot, length);
        listener.write(new DatagramPacket(data, session.client()), listener.voidPromise());
        if (!listenerFlushScheduled) {
            // Once per turn: replies that arrive on many session sockets leave in one sendmmsg.
            listenerFlushScheduled = true;
            loop.execute(flushListenerTask);
        }
    }

    void flushSessions() {
        // Indexed loop: a failed send re-queued during a flush is appended and flushed in this pass.
        for (int i = 0; i < pendingFlush.size(); i++) {
            pendingFlush.get(i).flush();
        }
        pendingFlush.clear();
    }

    private void flushSessionsTask() {
        sessionFlushScheduled = false;
        flushSessions();
    }

    private void flushListenerTask() {
        listenerFlushScheduled = false;
        listener.flush();
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
     * It is not bound here: the kernel binds it to the wildcard address and a free port on that
     * first send, as bind(0.0.0.0:0) would, which spares a system call per session and the heap
     * of the local address Netty would otherwise keep.
     */
    private Channel openSocket(Session session) throws Exception {
        DatagramChannel channel = transport.newChannel(forwarding.sessionFamily);
        try {
            channel.config().setOption(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true);
            transport.configureSessionSocket(channel, forwarding.sessionFamily, sessionAllocator, server);
            channel.pipeline().addLast(new SessionHandler(this, session));
        } catch (RuntimeException | Error e) {
            // The socket is open from newChannel on; unregistered, nothing else would close it.
            channel.unsafe().closeForcibly();
            throw e;
        }
        check(loop.register(channel), channel, "register");
        return channel;
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
        if (listener == null) {
            return;
        }
        listener.config().setAutoRead(false);
        flushSessions();
        listener.flush();
        sessions.closeAll();
        listener.close();
    }
}
