package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.SessionConfig;
import io.stevedore.health.PeerStates;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.routing.RouteTable;
import io.stevedore.session.Session;
import io.stevedore.session.SessionTable;
import io.stevedore.session.SessionView;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatch of one event loop: every datagram the loop reads, from a client or from a peer,
 * goes through here. The loop owns its {@link Listeners}, its sessions and their sockets
 * ({@link SessionSockets}), one {@link Selector} per upstream, the datagrams it holds for the end
 * of a batch ({@link Outbox} upstream, {@link ReplyBatch} downstream) and its counters. Every
 * method runs on {@link #loop}; nothing here is shared with another loop except the read-only
 * {@link Forwarding}, the session cap and the lock-free hand-off of suspected peers to
 * {@link PeerStates}.
 *
 * <p>Per client datagram: loop guard, size check, route, session, peer, write. Writes are flushed
 * once per read batch and replies to clients once per event-loop turn, so the kernel sees sendmmsg
 * batches. A failed send is classified by {@link SendFailure}; a peer it blames is handed to
 * {@link PeerStates}, which rebuilds the table on its own thread, never on this loop.
 *
 * <p>A reload hands the loop a new {@link Forwarding} through {@link #replan}, a task on the loop
 * itself: it runs between two read batches, so each datagram sees one configuration whole.
 */
final class Worker {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    final EventLoop loop;
    private Forwarding forwarding;
    private final LoopCounters counters;
    private final SessionTable sessions;
    private Selector[] selectors;
    private final Transport transport;
    private final LoopGuard guard;
    private final PeerStates peerStates;
    private final Listeners listeners;
    private final SessionSockets sockets;
    private final Outbox outbox;
    private final ReplyBatch replies;
    /** The header of the client datagram being handled, from a source of {@code Server.ProxyProtocolFrom}. */
    private final ProxyHeader.Parsed proxyHeader = new ProxyHeader.Parsed();
    private InetSocketAddress lastCarried;
    /** Where the client datagram being handled was sent, as the listener read it (may be null). */
    private InetSocketAddress recipient;
    private final ArrayList<Session> pendingFlush = new ArrayList<>();
    private final Runnable flushSessionsTask = this::flushSessionsTask;
    private boolean sessionFlushScheduled;
    private long now;
    private boolean nowFresh;
    /** Whether the last {@link #quicPeer} went by the connection ID's server ID rather than the fallback. */
    private boolean byServerId;
    private ScheduledFuture<?> sweeping;
    private int sweepIntervalSec;

    Worker(EventLoop loop, Forwarding forwarding, LoopCounters counters, SessionTable sessions,
            Transport transport, ServerConfig server, LoopGuard guard, PeerStates peerStates, SessionLog sessionLog,
            RecvBufReport recvBuffers) {
        this.loop = loop;
        this.guard = guard;
        this.peerStates = peerStates;
        this.forwarding = forwarding;
        this.counters = counters;
        this.sessions = sessions;
        this.transport = transport;
        this.listeners = new Listeners(loop, transport, server, this, recvBuffers);
        this.sockets = new SessionSockets(loop, transport, server, guard, this, recvBuffers);
        Segments segments = new Segments(transport.segmentation(), counters);
        this.outbox = new Outbox(segments);
        this.replies = new ReplyBatch(loop, segments);
        this.selectors = selectorsOf(forwarding);
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
        sessionLog.closed(new SessionLog.ClosedSession(System.currentTimeMillis(), live(session.view(nowNanos)),
                reason, session.ageMillis(nowNanos)));
    }

    private static Selector[] selectorsOf(Forwarding forwarding) {
        Selector[] selectors = new Selector[forwarding.upstreams.length];
        for (int i = 0; i < selectors.length; i++) {
            selectors[i] = forwarding.upstreams[i].newSelector();
        }
        return selectors;
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
        sessions.reconfigure(session.timeoutSec(), next.anyKeptPeer ? next.upstreams.length : 0, latchSlots);
        if (reopenSessions) {
            flushSessions();
            sessions.closeAll(CloseReason.RELOAD);
        } else {
            sessions.forEach(s -> carryOver(s, previous, next, latchSlots));
        }
        forwarding = next;
        selectors = selectorsOf(next);
        startSweeping(session.recycleIntervalSec());
    }

    private static void carryOver(Session session, Forwarding previous, Forwarding next, int latchSlots) {
        int[] kept = null;
        if (next.anyKeptPeer) {
            kept = new int[next.upstreams.length];
            Arrays.fill(kept, Session.NONE);
            if (session.keepsPeers()) {
                for (int u = 0; u < previous.upstreams.length; u++) {
                    int peer = previous.keepsPeer[u] ? session.keptPeer(u) : Session.NONE;
                    if (peer == Session.NONE) {
                        continue;
                    }
                    int slot = previous.slot(u, peer);
                    int upstream = next.upstreamOf(slot);
                    if (upstream != Forwarding.ABSENT && next.keepsPeer[upstream]) {
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
        recipient = packet.recipient();
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
            if (!ProxyHeader.parse(data, proxyHeader) || proxyHeader.length() == length) {
                drop(DropReason.PROXY_HEADER, data);
                return;
            }
            // Routes and KeyBytes read the client's payload, after the header.
            data.skipBytes(proxyHeader.length());
            // LOCAL: the front tier speaks for itself, so its own address is the client.
            carried = !proxyHeader.local();
            if (carried) {
                client = carriedClient();
            }
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
            peer = forwarding.quic[upstream] ? quicPeer(upstream, data, client, null)
                    : undrained(null, upstream, selectors[upstream].select(data), data);
            if (peer < 0) {
                drop(peer == Selector.SHORT_KEY ? DropReason.SHORT_KEY : DropReason.NO_PEER, data);
                return;
            }
            session = sockets.open(sessions, client, now());
            if (session == null) {
                drop(DropReason.SESSION_LIMIT, data);
                return;
            }
            if (forwarding.sessionAffinity[upstream] || forwarding.quic[upstream] && !byServerId) {
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
        session.received(data.readableBytes());
        if (carried) {
            session.replyTo(sender);
            if (!proxyHeader.forwardsAs(session.proxyHeader())) {
                session.proxyHeader(proxyHeader.forwarded());
            }
        } else if (session.replyVia() != via.index) {
            // The header names the address the client sent to, which is this listener's from now on.
            session.proxyHeader(null);
        }
        // A client that writes to another local address gets its next replies from that one.
        session.replyVia(via.index);
        if (forwarding.quic[upstream]) {
            counters.quic(forwarding.slot(upstream, peer), byServerId);
        }
        send(session, upstream, peer, data, forwarding.maxTryTimes, false);
    }

    /**
     * The client the header just parsed names, as the session table keys it: the previous
     * datagram's when it is the same client, so a stream from one client allocates no address.
     */
    private InetSocketAddress carriedClient() {
        if (!proxyHeader.isClient(lastCarried)) {
            lastCarried = proxyHeader.client();
        }
        return lastCarried;
    }

    private int choosePeer(Session session, int upstream, ByteBuf data) {
        if (forwarding.quic[upstream]) {
            return quicPeer(upstream, data, session.client(), session);
        }
        if (!forwarding.sessionAffinity[upstream]) {
            return undrained(session, upstream, selectors[upstream].select(data), data);
        }
        int kept = session.keptPeer(upstream);
        if (kept != Session.NONE && forwarding.upstreams[upstream].inRotation(kept)) {
            return kept;
        }
        int peer = undrained(session, upstream, selectors[upstream].select(data), data);
        session.keepPeer(upstream, peer >= 0 ? peer : Session.NONE);
        return peer;
    }

    /**
     * {@code peer}, the selector's choice, unless it drains and {@code session} (null: one not yet
     * open) never sent to it: then a peer that does not drain. What a session used is looked up
     * only when the choice drains.
     */
    private int undrained(Session session, int upstream, int peer, ByteBuf data) {
        Selector selector = selectors[upstream];
        if (peer >= 0 && selector.draining(peer)
                && (session == null || !session.used(forwarding.slot(upstream, peer)))) {
            return selector.fresh(data);
        }
        return peer;
    }

    /**
     * The peer of a {@code quic} upstream for {@code data}: the one its connection ID names while
     * that peer is up; else the session's fallback peer while in rotation, so all of a client's
     * unroutable datagrams (its Initials) reach one server; else a new fallback by the client's
     * address and port, which the session remembers. Sets {@link #byServerId}.
     *
     * @param session the client's session, or null before it has one (the caller keeps the fallback)
     */
    private int quicPeer(int upstream, ByteBuf data, InetSocketAddress client, Session session) {
        Selector selector = selectors[upstream];
        int peer = selector.byServerId(data);
        byServerId = peer >= 0;
        if (byServerId) {
            return peer;
        }
        int kept = session == null ? Session.NONE : session.keptPeer(upstream);
        if (kept != Session.NONE && forwarding.upstreams[upstream].inRotation(kept)) {
            return kept;
        }
        peer = selector.byClient(client);
        if (session != null) {
            session.keepPeer(upstream, peer >= 0 ? peer : Session.NONE);
        }
        return peer;
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
            byte[] header = proxyHeaderOf(session);
            if (header.length + data.readableBytes() > SocketErrors.maxPayload(target)) {
                // Never truncated: the peer would take the cut payload for the client's.
                drop(DropReason.OVERSIZE, data);
                return;
            }
            wire = channel.alloc().directBuffer(header.length + data.readableBytes())
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
        outbox.add(session, target, wire, new ForwardPromise(this, forwarding, session, upstream, peer,
                slot, wire.readableBytes(), triesLeft, retry, afterReport));
        if (session.markFlushPending()) {
            pendingFlush.add(session);
        }
    }

    /**
     * The session's PROXY header, built on its first datagram to such an upstream. Its destination
     * is the listener's address; for the wildcard socket, the address the datagram was sent to.
     */
    private byte[] proxyHeaderOf(Session session) {
        byte[] header = session.proxyHeader();
        if (header == null) {
            InetSocketAddress destination = listeners.get(session.replyVia()).channel.localAddress();
            if (destination.getAddress().isAnyLocalAddress() && recipient != null
                    && !recipient.getAddress().isAnyLocalAddress()) {
                destination = new InetSocketAddress(recipient.getAddress(), destination.getPort());
            }
            header = ProxyHeader.proxy(session.client(), destination);
            session.proxyHeader(header);
        }
        return header;
    }

    void forwarded(ForwardPromise sent) {
        counters.forwarded(sent.slot, sent.bytes);
        if (sent.retry != null) {
            sent.retry.release();
        }
    }

    /**
     * A send failed. {@link SendFailure} says whether the datagram is dropped at once and who is
     * blamed; otherwise it goes again, while {@code MaxTryTimes} allows, to its peer if that is still
     * in rotation, else to the next choice. When a peer was handed to {@link PeerStates} as suspect,
     * the datagram waits, off this loop, until the peer's new state is published and comes back here
     * ({@link #sendAgain}): the loop never waits for a table rebuild.
     */
    void sendFailed(ForwardPromise sent, Throwable cause) {
        Session session = sent.session;
        SendFailure failure = SendFailure.of(cause, session.isClosed(), sent.bytes,
                SocketErrors.maxPayload(forwarding.address(sent.slot)), sent.afterReport);
        if (failure != SendFailure.SOCKET_CLOSED) {
            // A failed send may have left a report queued (the kernel queues one for EMSGSIZE, and
            // the ICMP report behind ECONNREFUSED stays queued after it surfaced).
            transport.purgeErrorQueue((DatagramChannel) session.channel());
        }
        if (failure.dropped != null) {
            counters.dropped(failure.dropped);
            release(sent.retry);
            return;
        }
        boolean handedOver = switch (failure.blame) {
            case NOBODY -> {
                log.debug("session {}: path MTU report surfaced on a send", session.client());
                yield false;
            }
            case SESSION_HISTORY -> reported(session, cause, sent, failure.report());
            case THIS_PEER -> {
                counters.sendError(sent.slot);
                int upstream = upstreamNow(sent);
                int peer = peerNow(sent);
                yield peer != Forwarding.ABSENT
                        && suspect(upstream, peer, "send error: " + cause.getMessage(), sent, false);
            }
        };
        if (!handedOver) {
            sendAgain(sent, failure.report());
        }
    }

    /** The upstream of a failed send in the running configuration (a reload may have come between). */
    private int upstreamNow(ForwardPromise sent) {
        if (sent.plan == forwarding) {
            return sent.upstream;
        }
        int upstream = forwarding.upstreamOf(sent.slot);
        return upstream != Forwarding.ABSENT ? upstream
                : forwarding.upstreamIndex(sent.plan.upstreams[sent.upstream].name());
    }

    /** The peer of a failed send in the running configuration, or {@link Forwarding#ABSENT}. */
    private int peerNow(ForwardPromise sent) {
        return sent.plan == forwarding ? sent.peer : forwarding.peerOf(sent.slot);
    }

    /**
     * Sends a failed datagram again, to its peer if still in rotation, else to the next choice.
     *
     * @param report whether the failure may have been a report about an earlier datagram: sent
     *     again to the same peer, the same errno is then the send's own
     */
    private void sendAgain(ForwardPromise sent, boolean report) {
        if (sent.retry == null) {
            counters.dropped(DropReason.SEND_ERROR);
            return;
        }
        Session session = sent.session;
        int upstream = upstreamNow(sent);
        if (session.isClosed() || upstream == Forwarding.ABSENT) {
            drop(DropReason.SEND_ERROR, sent.retry);
            return;
        }
        int failedPeer = peerNow(sent);
        int peer = failedPeer != Forwarding.ABSENT && forwarding.upstreams[upstream].inRotation(failedPeer)
                ? failedPeer : choosePeer(session, upstream, sent.retry);
        if (peer < 0) {
            drop(DropReason.SEND_ERROR, sent.retry);
            return;
        }
        send(session, upstream, peer, sent.retry, sent.triesLeft - 1, report && peer == failedPeer);
        // Called from inside a flush, which may be the last of this turn, or from a task.
        if (!sessionFlushScheduled) {
            sessionFlushScheduled = true;
            loop.execute(flushSessionsTask);
        }
    }

    /**
     * Hands {@code peer} to {@link PeerStates} as suspect. With a datagram to send again, that
     * waits for the peer's new state and comes back to this loop; returns whether it went.
     */
    private boolean suspect(int upstream, int peer, String reason, ForwardPromise waiting, boolean report) {
        Upstream suspected = forwarding.upstreams[upstream];
        if (waiting == null || waiting.retry == null) {
            peerStates.suspect(suspected, peer, reason);
            return false;
        }
        peerStates.suspect(suspected, peer, reason, loop, () -> sendAgain(waiting, report));
        return true;
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
            reported(session, cause, null, false);
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
     * names no destination: the peer is suspected only when the session sent to that peer alone
     * lately ({@link Session#culprit}); otherwise it is counted as ambiguous and left to the active
     * health checker. Returns whether {@code waiting} went with the suspect (see {@link #suspect}).
     */
    private boolean reported(Session session, Throwable cause, ForwardPromise waiting, boolean report) {
        int slot = session.culprit(now());
        if (slot == Session.NONE) {
            counters.count(LoopCounter.PASSIVE_AMBIGUOUS);
            return false;
        }
        counters.sendError(slot);
        int upstream = forwarding.upstreamOf(slot);
        return upstream != Forwarding.ABSENT && suspect(upstream, forwarding.peerOf(slot),
                "unreachable, reported by ICMP: " + cause.getMessage(), waiting, report);
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

    /**
     * The sessions of this loop that {@code query} selects, newest activity first, at most its
     * limit: run on this loop, so reading the sessions takes no lock. It walks every session of the
     * loop, which a table of 100,000 costs a few milliseconds of the loop's time, once per request.
     */
    List<LiveSession> sessions(SessionQuery query) {
        // Select and order the sessions themselves; only the page's own are copied out.
        List<Session> found = new ArrayList<>();
        sessions.forEach(session -> {
            if (query.matchesClient(session.client()) && query.afterCursor(session.activeSecond(), session.client())
                    && (query.peer() == null || uses(session, query.peer()))) {
                found.add(session);
            }
        });
        found.sort(SessionQuery.order(Session::activeSecond, Session::client));
        long now = System.nanoTime();
        List<LiveSession> page = new ArrayList<>(Math.min(found.size(), query.limit()));
        for (int i = 0; i < found.size() && i < query.limit(); i++) {
            page.add(live(found.get(i).view(now)));
        }
        return page;
    }

    /**
     * Whether the session has sent to {@code peer} (so is one of the sessions a draining peer still
     * serves and {@code stevedore_peer_sessions} counts), or keeps it under session affinity.
     */
    private boolean uses(Session session, InetSocketAddress peer) {
        for (int slot = session.nextUsedSlot(0); slot != Session.NONE; slot = session.nextUsedSlot(slot + 1)) {
            if (forwarding.has(slot) && peer.equals(forwarding.address(slot))) {
                return true;
            }
        }
        for (int u = 0; u < session.keptPeerSlots() && u < forwarding.upstreams.length; u++) {
            int kept = session.keptPeer(u);
            if (kept != Session.NONE && kept < forwarding.upstreams[u].peers().size()
                    && peer.equals(forwarding.upstreams[u].peer(kept).address())) {
                return true;
            }
        }
        return false;
    }

    private LiveSession live(SessionView view) {
        String lastUpstream = null;
        InetSocketAddress lastPeer = null;
        if (forwarding.has(view.lastSlot())) {
            lastUpstream = forwarding.upstreams[forwarding.upstreamOf(view.lastSlot())].name();
            lastPeer = forwarding.address(view.lastSlot());
        }
        Map<String, InetSocketAddress> kept = new LinkedHashMap<>();
        int[] keptPeers = view.keptPeers();
        for (int u = 0; keptPeers != null && u < keptPeers.length && u < forwarding.upstreams.length; u++) {
            if (keptPeers[u] != Session.NONE && keptPeers[u] < forwarding.upstreams[u].peers().size()) {
                kept.put(forwarding.upstreams[u].name(), forwarding.upstreams[u].peer(keptPeers[u]).address());
            }
        }
        InetSocketAddress listener = view.listener() < listeners.all().size()
                ? listeners.get(view.listener()).channel.localAddress() : null;
        return new LiveSession(view.client(), listener, lastUpstream, lastPeer, kept, view.activeSecond(),
                view.ageSec(), view.idleSec(), view.datagramsIn(), view.bytesIn(), view.datagramsOut(),
                view.bytesOut(), view.answered());
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

    private static void release(ByteBuf data) {
        if (data != null) {
            data.release();
        }
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
