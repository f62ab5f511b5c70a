package io.stevedore.session;

import io.netty.channel.Channel;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The sessions of one event loop, keyed by client address. Only that loop calls it, so a plain
 * map serves ({@link SessionMap}); the only state shared with other loops is the {@link SessionLimit}.
 * Idle sessions leave through {@link #sweep(long)}, which takes the clock so tests can advance it.
 *
 * <p>At {@code MaxSessions} a new client evicts the least recently active session that no peer
 * has answered ({@link #open}). A spoofed flood opens one session per datagram and none of them is
 * ever answered, so the flood evicts itself while the clients that were answered stay. The
 * unanswered sessions are kept in a list in order of activity, linked through the sessions
 * themselves: opening, touching, answering and evicting are each a few pointer writes, with no
 * allocation and no search.
 */
public final class SessionTable {

    private static final VarHandle UNANSWERED;

    static {
        try {
            UNANSWERED = MethodHandles.lookup().findVarHandle(SessionTable.class, "unanswered", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Creates the upstream socket of a new session; the session is its reply handler. */
    @FunctionalInterface
    public interface SocketOpener {
        Channel open(Session session) throws Exception;
    }

    /** Told of each session this table closes, once, on the table's loop. */
    @FunctionalInterface
    public interface CloseListener {
        void closed(Session session, CloseReason reason);
    }

    /** Size of {@link #recentIps}, a power of two. */
    private static final int RECENT_IPS = 4096;

    private final SessionMap sessions = new SessionMap();
    /**
     * Client IPs of recently opened sessions, by hash: clients behind one address (NAT, a busy
     * host) then share one {@link InetAddress} in their session keys instead of 56 bytes each.
     * Fixed size, overwritten on collision, so it never grows with the clients seen.
     */
    private final InetAddress[] recentIps = new InetAddress[RECENT_IPS];
    private final SessionLimit limit;
    private final Executor loop;
    private final LoopCounters counters;
    private int timeoutSec;
    private int affinityUpstreams;
    private int latchSlots;
    private final List<Session> idle = new ArrayList<>();
    private CloseListener closeListener;
    /** The unanswered sessions, least recently active first; the next to be evicted. */
    private Session oldestUnanswered;
    private Session newestUnanswered;
    /**
     * How many sessions the list holds. Written by the loop alone, opaquely (through
     * {@link #UNANSWERED}), so other loops (which one to ask for an eviction) and the admin
     * endpoint can read it.
     */
    private int unanswered;
    /**
     * Set by this loop when it asks another to evict for it, cleared by the other once done: one
     * request in flight per loop, so a flood cannot fill another loop's task queue.
     */
    private volatile boolean evictionAsked;

    /**
     * Joins {@code limit}, so that other loops at the cap may ask this one to evict.
     *
     * @param loop the event loop that owns this table, where other loops' requests run
     * @param affinityUpstreams upstream count when any upstream has {@code Affinity: session}, else 0
     * @param latchSlots peer slot count when any upstream has {@code Latch}, else 0
     */
    public SessionTable(SessionLimit limit, Executor loop, LoopCounters counters, int timeoutSec,
            int affinityUpstreams, int latchSlots) {
        this.limit = limit;
        this.loop = loop;
        this.counters = counters;
        this.timeoutSec = timeoutSec;
        this.affinityUpstreams = affinityUpstreams;
        this.latchSlots = latchSlots;
        limit.join(this);
    }

    /**
     * After a reload: the idle timeout and the room sessions opened from now on get. The caller
     * reshapes the live sessions itself (see {@link Session#keepPeers}, {@link Session#resizeLatches}).
     */
    public void reconfigure(int timeoutSec, int affinityUpstreams, int latchSlots) {
        this.timeoutSec = timeoutSec;
        this.affinityUpstreams = affinityUpstreams;
        this.latchSlots = latchSlots;
    }

    /** Reports every session closed from now on to {@code listener}. Call on the loop. */
    public void onClose(CloseListener listener) {
        this.closeListener = listener;
    }

    public Session get(InetSocketAddress client) {
        return sessions.get(client);
    }

    /**
     * Opens the session of {@code client} with a socket from {@code opener}, or returns null when
     * there is no room. The session enters the table only once its socket exists, so no
     * half-built session is ever seen. If the opener fails, nothing is left behind and its exception
     * is thrown (a session evicted to make room stays closed).
     *
     * <p>At {@code MaxSessions}, this loop's least recently active unanswered session is closed
     * ({@link CloseReason#EVICTED}) before the new socket opens, and the new session takes its
     * place: the cap is never exceeded, not even for a moment. When every session of this loop
     * has been answered, the new client is refused, and if another loop has unanswered sessions,
     * that loop is asked, through its executor, to evict its least recently active one: the
     * place it frees goes to whichever new client comes first, most likely this one's next
     * datagram (clients send again when unanswered). Sessions belong to their loop, so no loop
     * closes another's; refusing the one datagram instead of admitting it beyond the cap keeps
     * the socket count within {@code MaxSessions}. Above the cap (a reload lowered it) nothing is
     * evicted: new clients are refused until enough sessions have ended.
     */
    public Session open(InetSocketAddress client, long nowNanos, SocketOpener opener) throws Exception {
        if (sessions.get(client) != null) {
            throw new IllegalStateException(client + " already has a session");
        }
        if (!limit.tryAcquire() && !evictForNewcomer()) {
            return null;
        }
        Session session = new Session(compact(client), affinityUpstreams, latchSlots, nowNanos);
        try {
            session.attach(opener.open(session));
        } catch (Exception | Error e) {
            limit.release();
            throw e;
        }
        sessions.add(session);
        linkNewest(session);
        countUnanswered(1);
        counters.count(LoopCounter.SESSIONS_OPENED);
        return session;
    }

    /**
     * At the cap: closes this loop's least recently active unanswered session, keeping its place
     * for the new one; returns false, having asked another loop if one can help, when there is none.
     */
    private boolean evictForNewcomer() {
        if (limit.live() > limit.max()) {
            return false;
        }
        Session victim = oldestUnanswered;
        if (victim == null) {
            askAnotherLoop();
            return false;
        }
        close(victim, CloseReason.EVICTED, false);
        return true;
    }

    /** Asks the loop with the most unanswered sessions to evict one, unless a request of ours is in flight. */
    private void askAnotherLoop() {
        if (evictionAsked) {
            return;
        }
        SessionTable busiest = null;
        int most = 0;
        for (SessionTable table : limit.tables()) {
            int count = table.unanswered();
            if (table != this && count > most) {
                busiest = table;
                most = count;
            }
        }
        if (busiest == null) {
            return;
        }
        evictionAsked = true;
        SessionTable asked = busiest;
        try {
            asked.loop.execute(() -> {
                try {
                    asked.evictForAnotherLoop();
                } finally {
                    evictionAsked = false;
                }
            });
        } catch (RejectedExecutionException stopping) {
            evictionAsked = false;
        }
    }

    /**
     * On this loop, at another's request: evicts the least recently active unanswered session and
     * frees its place, unless the sessions are no longer at the cap (one ended meanwhile).
     */
    private void evictForAnotherLoop() {
        Session victim = oldestUnanswered;
        if (victim != null && limit.live() >= limit.max()) {
            close(victim, CloseReason.EVICTED);
        }
    }

    /**
     * Traffic through {@code session}, in either direction: it is not idle, and if no peer has
     * answered it yet, it becomes the last to be evicted.
     */
    public void touch(Session session, long nowNanos) {
        session.touch(nowNanos);
        if (!session.isAnswered() && !session.isClosed() && session != newestUnanswered) {
            unlink(session);
            linkNewest(session);
        }
    }

    /** A peer's reply was relayed to the session's client: the session is never evicted from now on. */
    public void answered(Session session) {
        if (!session.isClosed() && session.markAnswered()) {
            unlink(session);
            countUnanswered(-1);
        }
    }

    /** Puts an unanswered session at the newest end of the list. */
    private void linkNewest(Session session) {
        Session newest = newestUnanswered;
        session.older = newest;
        if (newest == null) {
            oldestUnanswered = session;
        } else {
            newest.newer = session;
        }
        newestUnanswered = session;
    }

    private void unlink(Session session) {
        Session older = session.older;
        Session newer = session.newer;
        if (older == null) {
            oldestUnanswered = newer;
        } else {
            older.newer = newer;
        }
        if (newer == null) {
            newestUnanswered = older;
        } else {
            newer.older = older;
        }
        session.older = null;
        session.newer = null;
    }

    private void countUnanswered(int delta) {
        UNANSWERED.setOpaque(this, unanswered + delta);
    }

    /** Live sessions of this loop that no peer has answered yet; any thread. */
    public int unanswered() {
        return (int) UNANSWERED.getOpaque(this);
    }

    /** {@code client}, or an equal address sharing the IP of a session opened shortly before. */
    private InetSocketAddress compact(InetSocketAddress client) {
        InetAddress ip = client.getAddress();
        int h = ip.hashCode();
        int i = (h ^ (h >>> 16)) & (RECENT_IPS - 1);
        InetAddress recent = recentIps[i];
        if (recent == ip) {
            return client;
        }
        if (ip.equals(recent)) {
            return new InetSocketAddress(recent, client.getPort());
        }
        recentIps[i] = ip;
        return client;
    }

    /**
     * Removes {@code session} from this table, lowers the gauges (its peers' included), counts it closed for
     * {@code reason} and closes its socket. Idempotent: only the first call counts.
     */
    public void close(Session session, CloseReason reason) {
        close(session, reason, true);
    }

    /** @param freePlace false when the place passes straight to a new session (an eviction) */
    private void close(Session session, CloseReason reason, boolean freePlace) {
        if (!session.markClosed()) {
            return;
        }
        if (sessions.remove(session)) {
            if (!session.isAnswered()) {
                unlink(session);
                countUnanswered(-1);
            }
            if (freePlace) {
                limit.release();
            }
            counters.sessionClosed(reason);
            for (int slot = session.nextUsedSlot(0); slot != Session.NONE; slot = session.nextUsedSlot(slot + 1)) {
                counters.peerSessionLeft(slot);
            }
            if (closeListener != null) {
                closeListener.closed(session, reason);
            }
        }
        if (session.channel() != null) {
            session.channel().close();
        }
    }

    /** Closes every session idle for more than {@code TimeoutSec} at {@code nowNanos}; returns how many. */
    public int sweep(long nowNanos) {
        sessions.forEach(session -> {
            if (session.idleLongerThan(timeoutSec, nowNanos)) {
                idle.add(session);
            }
        });
        int count = idle.size();
        for (int i = 0; i < count; i++) {
            close(idle.get(i), CloseReason.IDLE);
        }
        idle.clear();
        return count;
    }

    /** Closes every session, counting them closed for {@code reason} (a reload, the shutdown). */
    public void closeAll(CloseReason reason) {
        List<Session> all = new ArrayList<>(sessions.size());
        sessions.forEach(all::add);
        for (Session session : all) {
            close(session, reason);
        }
    }

    /** Calls {@code action} for each live session. */
    public void forEach(java.util.function.Consumer<Session> action) {
        sessions.forEach(action);
    }

    public int size() {
        return sessions.size();
    }
}
