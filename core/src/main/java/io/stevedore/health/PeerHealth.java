package io.stevedore.health;

import java.util.Optional;

/**
 * The up/down verdict for one peer from consecutive probe results: {@code failedTimes} failures
 * in a row take an up peer down, {@code successTimes} successes in a row bring a down peer up.
 *
 * <p>The upstream's state, not this object, is the truth: the data plane may take a peer down
 * between two probes. Each result is therefore weighed against the state read just before, and
 * a state this object did not set restarts both counts, so a peer taken down passively needs
 * {@code successTimes} fresh successes to return.
 *
 * <p>Confined to the health event loop.
 */
final class PeerHealth {

    /**
     * Where the counting stands: the state last seen and the current streak. A reload that leaves
     * the checker's settings alone hands it to the next {@code PeerHealth} of the same peer.
     */
    record Streak(boolean seenUp, int successes, int failures) {
    }

    private final int successTimes;
    private final int failedTimes;
    private boolean seenUp;
    private int successes;
    private int failures;

    PeerHealth(int successTimes, int failedTimes, boolean up) {
        this(successTimes, failedTimes, new Streak(up, 0, 0));
    }

    /** Continues {@code streak}; if the peer's state changed meanwhile, the next result restarts the counts. */
    PeerHealth(int successTimes, int failedTimes, Streak streak) {
        this.successTimes = successTimes;
        this.failedTimes = failedTimes;
        this.seenUp = streak.seenUp();
        this.successes = streak.successes();
        this.failures = streak.failures();
    }

    Streak streak() {
        return new Streak(seenUp, successes, failures);
    }

    /**
     * Counts {@code result} against the peer's current state {@code upNow}; returns the change to
     * publish, if the result completes a streak.
     */
    Optional<Transition> record(ProbeResult result, boolean upNow) {
        if (upNow != seenUp) {
            settle(upNow);
        }
        if (result.success()) {
            successes++;
            failures = 0;
        } else {
            failures++;
            successes = 0;
        }
        if (seenUp && failures >= failedTimes) {
            String reason = failures == 1
                    ? "probe: " + result.detail()
                    : "probe: " + failures + " consecutive failures, last: " + result.detail();
            settle(false);
            return Optional.of(new Transition(false, reason));
        }
        if (!seenUp && successes >= successTimes) {
            String reason = successes == 1
                    ? "probe: " + result.detail()
                    : "probe: " + successes + " consecutive successes";
            settle(true);
            return Optional.of(new Transition(true, reason));
        }
        return Optional.empty();
    }

    private void settle(boolean up) {
        seenUp = up;
        successes = 0;
        failures = 0;
    }
}
