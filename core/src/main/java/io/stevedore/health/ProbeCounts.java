package io.stevedore.health;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Probe rounds that succeeded and failed, per peer index of one upstream. Written by the health
 * loop, readable from any thread (the admin endpoint).
 */
public final class ProbeCounts {

    private final AtomicLongArray successes;
    private final AtomicLongArray failures;

    ProbeCounts(int peers) {
        this.successes = new AtomicLongArray(peers);
        this.failures = new AtomicLongArray(peers);
    }

    public long successes(int peerIndex) {
        return successes.get(peerIndex);
    }

    public long failures(int peerIndex) {
        return failures.get(peerIndex);
    }

    void record(int peerIndex, boolean success) {
        (success ? successes : failures).incrementAndGet(peerIndex);
    }
}
