package io.stevedore.session;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code MaxSessions}, shared by every event loop's {@link SessionTable}. It is touched only when a
 * session opens or closes, never per datagram, so one atomic counter costs the hot path nothing.
 */
public final class SessionLimit {

    private volatile int max;
    private final AtomicInteger live = new AtomicInteger();

    public SessionLimit(int max) {
        setMax(max);
    }

    /**
     * Changes the cap (a reload). Lowering it below the live count closes nothing: new sessions
     * are refused until enough have ended.
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

    public int live() {
        return live.get();
    }

    public int max() {
        return max;
    }
}
