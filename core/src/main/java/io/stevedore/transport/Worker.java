package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.stevedore.balancing.Selector;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.SessionConfig;
import io.stevedore.health.PeerStates;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import io.stevedore.routing.RouteTable;
import io.stevedore.session.Session;
import io.stevedore.session.SessionTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The dispatch of one event loop: every datagram the loop reads, from a client or from a peer,
 * goes through here. The loop owns its {@link Listeners}, its sessions and their sockets
 * ({@link SessionSockets}), its {@link PeerChoice} (one {@link Selector} per upstream), the
 * datagrams it holds for the end of a batch ({@link Outbox} upstream, {@link ReplyBatch}
 * downstream) and its counters. Every method runs on {@link #loop}; nothing here is shared with
 * another loop except the read-only {@link Forwarding}, the session cap and the lock-free hand-off
 * of suspected peers to {@link PeerStates}.
 *
 * <p>Per client datagram: loop guard, size check, PROXY header from a trusted source
 * ({@link InboundProxy}), route, peer ({@link PeerChoice}), session, write. Writes are flushed
 * once per read batch and replies to clients once per event-loop turn, so the kernel sees sendmmsg
 * batches. A failed send goes to {@link FailedSends}; a peer it blames is handed to
 * {@link PeerStates}, which rebuilds the table on its own thread, never on this loop.
 *
 * <p>A reload hands the loop a new {@link Forwarding} through {@link #replan}, a task on the loop
 * itself: it runs between two read batches, so each datagram sees one configuration whole.
 */
final class Worker {

    final EventLoop loop;
    private Forwarding forwarding;
    private final LoopCounters counters;
    private final SessionTable sessions;
    private final PeerChoice peers;
    private final FailedSends failures;
    private final Transport transport;
    private final LoopGuard guard;
    private final Listeners listeners;
    private final SessionSockets sockets;
    private final Outbox outbox;
    private final ReplyBatch replies;
    private final InboundProxy inboundProxy = new InboundProxy();
    private final OutboundProxy outboundProxy;
    private final IdleSweep sweep;
    /** Promises of sends settled, for the next ones; more than a read batch's worth are kept. */
    private final FreeList<ForwardPromise> promises = new FreeList<>(4096);
    private final ArrayList<Session> pendingFlush = new ArrayList<>();
    private final Runnable flushSessionsTask = this::flushSessionsTask;
    private boolean sessionFlushScheduled;
    private long now;
    private boolean nowFresh;

    Worker(EventLoop loop, Forwarding forwarding, LoopCounters counters, SessionTable sessions,
            Transport transport, ServerConfig server, LoopGuard guard, PeerStates peerStates, SessionLog sessionLog,
            RecvBufReport recvBuffers, ClosedSocketDrops closedDrops) {
        this.loop = loop;
        this.guard = guard;
        this.forwarding = forwarding;
        this.counters = counters;
        this.sessions = sessions;
        this.transport = transport;
        ReadPace pace = new ReadPace();
        this.listeners = new Listeners(loop, transport, server, this, recvBuffers, pace, counters);
        this.outboundProxy = new OutboundProxy(index -> listeners.get(index).channel.localAddress());
        this.sockets = new SessionSockets(loop, transport, server, guard, this, recvBuffers, pace, closedDrops);
        Segments segments = new Segments(transport.segmentation(), counters);
        this.outbox = new Outbox(segments);
        this.replies = new ReplyBatch(loop, segments);
        this.peers = new PeerChoice(forwarding);
        this.failures = new FailedSends(this, peers, counters, transport, peerStates);
        this.sweep = new IdleSweep(loop, sessions);
        if (sessionLog != SessionLog.OFF) {
            // Without an access log, closing a session builds nothing.
            sessions.onClose((session, reason) -> logClosed(sessionLog, session, reason));
        }
    }

    /**
     * Reports a closed session as {@code GET /sessions} would show it. Its peers are named under
     * the running {@link #forwarding}: a session closed by a reload that reopens sessions is closed
     * before the loop switches, so its peers are still the ones it used.
     */
    private void logClosed(SessionLog sessionLog, Session session, CloseReason reason) {
        long nowNanos = System.nanoTime();
        sessionLog.closed(new SessionLog.ClosedSession(System.currentTimeMillis(),
                LiveSessions.of(session.view(nowNanos), forwarding, listeners),
                reason, session.ageMillis(nowNanos)));
    }

    /** Binds this loop's listening sockets; see {@link Listeners#listen}. Call on the loop. */
    InetSocketAddress listen(InetSocketAddress listenAddr, List<InetAddress> locals, boolean shared) {
        return listeners.listen(listenAddr, locals, shared);
    }

    /** Binds a socket to each of {@code locals} this loop has none for yet (reload). Call on the loop. */
    void bindLocals(List<InetAddress> locals) {
        listeners.bindLocals(locals);
    }

    /** This loop's listening sockets, the one bound to ListenAddr first. Any thread. */
    List<Listener> listeners() {
        return listeners.all();
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
        sweep.every(intervalSec);
    }


    /**
     * Runs this loop on {@code next} from now on (a reload). Call on the loop. Live sessions keep
     * their sockets and what they remember, translated to {@code next} ({@link SessionCarryOver}).
     *
     * @param reopenSessions close the live sessions instead, so that their clients' next datagrams
     *     open sockets of the new family (IPv6 peers were added to a configuration of IPv4 ones)
     */
    void replan(Forwarding next, SessionConfig session, boolean reopenSessions) {
        Forwarding previous = forwarding;
        counters.ensurePeerSlots(next.slotCount());
        sessions.reconfigure(session.timeoutSec(), next.anyKeptPeer ? next.upstreams.length : 0,
                SessionCarryOver.latchSlots(next));
        if (reopenSessions) {
            flushSessions();
            sessions.closeAll(CloseReason.RELOAD);
        } else {
            sessions.forEach(s -> SessionCarryOver.apply(s, previous, next));
        }
        forwarding = next;
        peers.replan(next);
        sweep.every(session.recycleIntervalSec());
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
        InetSocketAddress recipient = packet.recipient();
        outboundProxy.received(recipient);
        via = listeners.replyingFor(via, recipient);
        ByteBuf data = packet.content();
        int length = data.readableBytes();
        counters.received(length);
        InetSocketAddress sender = packet.sender();
        if (guard.fromItself(sender, forwarding, listeners.port(), listeners.listenIp())) {
            drop(DropReason.LOOP, data);
            return;
        }
        if (length > forwarding.bufSize || length == 0) {
            drop(length == 0 ? DropReason.EMPTY : DropReason.OVERSIZE, data);
            return;
        }
        InetSocketAddress client = sender;
        boolean carried = false;
        if (!forwarding.proxySources.isEmpty() && forwarding.proxySources.trusts(sender.getAddress())) {
            client = inboundProxy.clientOf(data, sender);
            if (client == null) {
                drop(DropReason.PROXY_HEADER, data);
                return;
            }
            carried = inboundProxy.carried();
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
            peer = peers.forNewClient(upstream, data, client);
            if (peer < 0) {
                drop(peer == Selector.SHORT_KEY ? DropReason.SHORT_KEY : DropReason.NO_PEER, data);
                return;
            }
            session = sockets.open(sessions, client, now());
            if (session == null) {
                drop(DropReason.SESSION_LIMIT, data);
                return;
            }
            peers.opened(session, upstream, peer);
        } else {
            peer = peers.forSession(session, upstream, data);
            if (peer < 0) {
                drop(peer == Selector.SHORT_KEY ? DropReason.SHORT_KEY : DropReason.NO_PEER, data);
                return;
            }
        }
        sessions.touch(session, now());
        session.received(data.readableBytes());
        if (carried) {
            inboundProxy.carryTo(session, sender);
        } else if (session.replyVia() != via.index) {
            // The header names the address the client sent to, which is this listener's from now on.
            session.proxyHeader(null);
        }
        // A client that writes to another local address gets its next replies from that one.
        session.replyVia(via.index);
        if (forwarding.quic[upstream]) {
            counters.quic(forwarding.slot(upstream, peer), peers.byServerId());
        }
        send(session, upstream, peer, data, forwarding.maxTryTimes, false);
    }

    /**
     * Writes {@code data} (whose reference passes to the write) toward the peer; flushed at batch end.
     *
     * @param afterReport whether this is the datagram sent again to the same peer after a report's
     *     errno surfaced on its send (see {@link SendFailure#report})
     */
    private void send(Session session, int upstream, int peer, ByteBuf data, int triesLeft, boolean afterReport) {
        Channel channel = session.channel();
        if (Backpressure.backedUp(channel)) {
            drop(DropReason.BACKPRESSURE, data);
            return;
        }
        int slot = forwarding.slot(upstream, peer);
        InetSocketAddress latched = session.latched(slot);
        InetSocketAddress target = latched == null ? forwarding.address(slot) : latched;
        ByteBuf wire = data;
        if (forwarding.proxyProtocol[upstream]) {
            byte[] header = outboundProxy.headerOf(session);
            if (header.length + data.readableBytes() > SocketErrors.maxPayload(target)) {
                // Never truncated: the peer would take the cut payload for the client's.
                drop(DropReason.OVERSIZE, data);
                return;
            }
            wire = CopyBuffers.of(header.length + data.readableBytes())
                    .writeBytes(header).writeBytes(data, data.readerIndex(), data.readableBytes());
        }
        if (session.use(slot)) {
            counters.peerSessionJoined(slot);
        }
        session.sentTo(slot, latched == null, now());
        // A retry keeps the client's payload: its header may differ on another upstream after a reload.
        ByteBuf retry = triesLeft > 1 ? data.retain() : null;
        if (wire != data) {
            data.release();
        }
        ForwardPromise promise = promises.take();
        if (promise == null) {
            promise = new ForwardPromise(this);
        }
        outbox.add(session, target, wire, promise.arm(forwarding, session, upstream, peer, slot,
                wire.readableBytes(), triesLeft, retry, afterReport));
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

    /** A send succeeded and {@code sent} was done with: it serves a later one. */
    void reuse(ForwardPromise sent) {
        promises.give(sent);
    }

    /** A send failed: see {@link FailedSends#sendFailed}. */
    void sendFailed(ForwardPromise sent, Throwable cause) {
        failures.sendFailed(sent, cause);
    }

    void socketError(Session session, Throwable cause) {
        failures.socketError(session, cause);
    }

    void socketWokeEmpty(Session session) {
        failures.socketWokeEmpty(session);
    }

    /**
     * Writes a datagram that failed once toward {@code peer} again, flushed by a task of its own:
     * this runs inside a flush, which may be the last of this turn, or from a task.
     */
    void sendAgain(Session session, int upstream, int peer, ByteBuf data, int triesLeft, boolean afterReport) {
        send(session, upstream, peer, data, triesLeft, afterReport);
        if (!sessionFlushScheduled) {
            sessionFlushScheduled = true;
            loop.execute(flushSessionsTask);
        }
    }

    /** A datagram that reached a session socket: relayed to the client if it comes from a peer IP. */
    void fromPeer(Session session, DatagramPacket reply) {
        ByteBuf data = reply.content();
        InetSocketAddress source = reply.sender();
        int slot = forwarding.replySlot(source, session.lastSlot(), now());
        if (slot == Forwarding.NOT_A_PEER) {
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
        Listener listener = listeners.get(session.replyVia());
        DatagramChannel channel = listener.channel;
        if (Backpressure.backedUp(channel)) {
            drop(DropReason.BACKPRESSURE, data);
            return;
        }
        counters.replied(slot, length);
        session.relayed(length);
        // From now on the session is not evicted for a new client at MaxSessions.
        sessions.answered(session);
        replies.add(listener, session.replyTo(), data);
    }

    /** The sessions of this loop that {@code query} selects ({@link LiveSessions#page}); only on the loop. */
    List<LiveSession> sessions(SessionQuery query) {
        return LiveSessions.page(sessions, query, forwarding, listeners);
    }

    /** A session socket's read ended: the replies it held leave for the client. */
    void endReplies() {
        replies.end();
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

    /** A session socket bound as {@code binding} ({@link LoopGuard#opened}) is closed. */
    void socketClosed(int binding) {
        guard.closed(binding);
    }

    void listenerError() {
        counters.count(LoopCounter.LISTENER_ERRORS);
    }

    private void drop(DropReason reason, ByteBuf data) {
        counters.dropped(reason);
        data.release();
    }


    /** Stops reading, sends what is queued and closes every socket of this loop. */
    void stop() {
        if (listeners.all().isEmpty()) {
            return;
        }
        listeners.stopReading();
        flushSessions();
        replies.end();
        replies.flush();
        sessions.closeAll(CloseReason.SHUTDOWN);
        listeners.close();
    }
}
