package io.stevedore.session;

import io.netty.channel.Channel;
import io.stevedore.metrics.LoopCounters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The sessions of one event loop, keyed by client address. Only that loop calls it, so a plain
 * map serves ({@link SessionMap}); the only state shared with other loops is the {@link SessionLimit}.
 * Idle sessions leave through {@link #sweep(long)}, which takes the clock so tests can advance it.
 */
public final class SessionTable {

    /** Creates the upstream socket of a new session; the session is its reply handler. */
    @FunctionalInterface
    public interface SocketOpener {
        Channel open(Session session) throws Exception;
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
    private final LoopCounters counters;
    private int timeoutSec;
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
        this.timeoutSec = timeoutSec;
        this.affinityUpstreams = affinityUpstreams;
        this.latchSlots = latchSlots;
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
        if (sessions.get(client) != null) {
            throw new IllegalStateException(client + " already has a session");
        }
        if (!limit.tryAcquire()) {
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
        counters.sessionOpened();
        return session;
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

    /** Removes {@code session} from this table, lowers the gauge and closes its socket. Idempotent. */
    public void close(Session session) {
        if (!session.markClosed()) {
            return;
        }
        if (sessions.remove(session)) {
            limit.release();
            counters.sessionClosed();
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
            close(idle.get(i));
        }
        idle.clear();
        return count;
    }

    /** Closes every session (shutdown). */
    public void closeAll() {
        List<Session> all = new ArrayList<>(sessions.size());
        sessions.forEach(all::add);
        for (Session session : all) {
            close(session);
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
