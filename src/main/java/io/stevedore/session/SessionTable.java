package io.stevedore.session;

import io.netty.channel.Channel;
import io.stevedore.metrics.LoopCounters;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The sessions of one event loop, keyed by client address. Only that loop calls it, so a plain
 * {@link HashMap} serves; the only state shared with other loops is the {@link SessionLimit}.
 * Idle sessions leave through {@link #sweep(long)}, which takes the clock so tests can advance it.
 */
public final class SessionTable {

    /** Creates the upstream socket of a new session; the session is its reply handler. */
    @FunctionalInterface
    public interface SocketOpener {
        Channel open(Session session) throws Exception;
    }

    private final HashMap<InetSocketAddress, Session> sessions = new HashMap<>();
    private final SessionLimit limit;
    private final LoopCounters counters;
    private long timeoutNanos;
    private int affinityUpstreams;
    private int latchSlots;
    private final List<Session> idle = new ArrayList<>();

    /**
     * @param affinityUpstreams upstream count when any upstream has {@code Affinity: session}, else 0
     * @param latchSlots peer slot count when any upstream has {@code Latch}, else 0
     */
    public SessionTable(SessionLimit limit, LoopCounters counters, int timeoutSec,
            int affinityUpstreams, int latchSlots) {
        this.limit = limit;
        this.counters = counters;
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSec);
        this.affinityUpstreams = affinityUpstreams;
        this.latchSlots = latchSlots;
    }

    /**
     * After a reload: the idle timeout and the room sessions opened from now on get. The caller
     * reshapes the live sessions itself (see {@link Session#keepPeers}, {@link Session#resizeLatches}).
     */
    public void reconfigure(int timeoutSec, int affinityUpstreams, int latchSlots) {
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSec);
        this.affinityUpstreams = affinityUpstreams;
        this.latchSlots = latchSlots;
    }

    public Session get(InetSocketAddress client) {
        return sessions.get(client);
    }

    /**
     * Opens the session of {@code client} with a socket from {@code opener}, or returns null when
     * {@code MaxSessions} are live. The session enters the table only once its socket exists, so no
     * half-built session is ever seen. If the opener fails, nothing is left behind and its exception
     * is thrown.
     */
    public Session open(InetSocketAddress client, long nowNanos, SocketOpener opener) throws Exception {
        if (sessions.containsKey(client)) {
            throw new IllegalStateException(client + " already has a session");
        }
        if (!limit.tryAcquire()) {
            return null;
        }
        Session session = new Session(client, this, affinityUpstreams, latchSlots, nowNanos);
        try {
            session.attach(opener.open(session));
        } catch (Exception | Error e) {
            limit.release();
            throw e;
        }
        sessions.put(client, session);
        counters.sessionOpened();
        return session;
    }

    /** Called once by {@link Session#close()}. */
    void closed(Session session) {
        if (sessions.remove(session.client(), session)) {
            limit.release();
            counters.sessionClosed();
        }
    }

    /** Closes every session idle for {@code TimeoutSec} or more at {@code nowNanos}; returns how many. */
    public int sweep(long nowNanos) {
        for (Session session : sessions.values()) {
            if (nowNanos - session.lastActiveNanos() >= timeoutNanos) {
                idle.add(session);
            }
        }
        int count = idle.size();
        for (int i = 0; i < count; i++) {
            idle.get(i).close();
        }
        idle.clear();
        return count;
    }

    /** Closes every session (shutdown). */
    public void closeAll() {
        for (Session session : new ArrayList<>(sessions.values())) {
            session.close();
        }
    }

    /** Calls {@code action} for each live session. */
    public void forEach(java.util.function.Consumer<Session> action) {
        sessions.values().forEach(action);
    }

    public int size() {
        return sessions.size();
    }
}
