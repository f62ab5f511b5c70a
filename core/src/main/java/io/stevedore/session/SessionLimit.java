package io.stevedore.session;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code MaxSessions}, shared by every event loop's {@link SessionTable}. It is touched only when a
 * session opens or closes, never per datagram, so one atomic counter costs the hot path nothing.
 *
 * <p>It also knows every loop's table, so that a loop at the cap with no session of its own to
 * evict can ask a loop that has one ({@link SessionTable#open}).
 */
public final class SessionLimit {

    private volatile int max;
    private final AtomicInteger live = new AtomicInteger();
    /** Copied on write: tables join once, at start, and are read when a loop looks for one to ask. */
    private volatile SessionTable[] tables = new SessionTable[0];

    public SessionLimit(int max) {
        setMax(max);
    }

    /**
     * Changes the cap (a reload). Lowering it below the live count closes nothing: new sessions
     * are refused, none evicted for them, until enough have ended.
     */
    public void setMax(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("MaxSessions must be at least 1, got " + max);
        }
        this.max = max;
    }

    /** Takes one place, or returns false when {@code max} sessions are live. */
    boolean tryAcquire() {
        int current;
        int cap = max;
        do {
            current = live.get();
            if (current >= cap) {
                return false;
            }
        } while (!live.compareAndSet(current, current + 1));
        return true;
    }

    void release() {
        live.decrementAndGet();
    }

    synchronized void join(SessionTable table) {
        SessionTable[] grown = Arrays.copyOf(tables, tables.length + 1);
        grown[tables.length] = table;
        tables = grown;
    }

    SessionTable[] tables() {
        return tables;
    }

    public int live() {
        return live.get();
    }

    public int max() {
        return max;
    }

    /** Live sessions that no peer has answered yet, over every loop; any thread. */
    public int unanswered() {
        int total = 0;
        for (SessionTable table : tables) {
            total += table.unanswered();
        }
        return total;
    }
}
