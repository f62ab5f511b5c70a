package io.stevedore.admin;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Configuration reloads that were applied and that were rejected, and when the last one applied. */
public final class Reloads {

    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile Instant lastApplied;

    /** {@code loadedAt}: when the configuration the daemon started with was read. */
    public Reloads(Instant loadedAt) {
        this.lastApplied = loadedAt;
    }

    public void applied(Instant at) {
        lastApplied = at;
        ok.incrementAndGet();
    }

    public void rejected() {
        failed.incrementAndGet();
    }

    public long ok() {
        return ok.get();
    }

    public long failed() {
        return failed.get();
    }

    /** When the running configuration was read: at start, or by the last reload applied. */
    public Instant lastApplied() {
        return lastApplied;
    }
}
