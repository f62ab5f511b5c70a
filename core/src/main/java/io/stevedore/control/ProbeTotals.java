package io.stevedore.control;

import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.health.HealthCheckers;
import io.stevedore.health.ProbeCounts;
import io.stevedore.metrics.PeerKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Probe results per peer over the daemon's whole life. A reload replaces the health checkers, whose
 * counts start again from zero: before it does, {@link #retire} adds the old checkers' final
 * counts to a total kept by peer (upstream name and address), so the metric never goes back.
 */
public final class ProbeTotals {

    private final Map<PeerKey, long[]> retired = new HashMap<>();
    private HealthCheckers current;
    private List<Upstream> upstreams = List.of();

    /** The checkers now probing {@code upstreams}. */
    public synchronized void track(HealthCheckers checkers, List<Upstream> upstreams) {
        this.current = checkers;
        this.upstreams = List.copyOf(upstreams);
    }

    /** Folds the counts of the tracked checkers, which must be closed, into the totals. */
    public synchronized void retire() {
        if (current == null) {
            return;
        }
        for (Upstream upstream : upstreams) {
            Optional<ProbeCounts> counts = current.probeCounts(upstream.name());
            if (counts.isEmpty()) {
                continue;
            }
            for (Peer peer : upstream.peers()) {
                long[] total = retired.computeIfAbsent(new PeerKey(upstream.name(), peer.address()), k -> new long[2]);
                total[0] += counts.get().successes(peer.index());
                total[1] += counts.get().failures(peer.index());
            }
        }
        current = null;
        upstreams = List.of();
    }

    /** Probe rounds of the peer that succeeded, or failed, so far. */
    public synchronized long count(PeerKey peer, boolean success) {
        long[] before = retired.get(peer);
        long total = before == null ? 0 : before[success ? 0 : 1];
        if (current != null) {
            for (Upstream upstream : upstreams) {
                if (!upstream.name().equals(peer.upstream())) {
                    continue;
                }
                Optional<ProbeCounts> counts = current.probeCounts(upstream.name());
                for (Peer p : upstream.peers()) {
                    if (counts.isPresent() && p.address().equals(peer.address())) {
                        total += success ? counts.get().successes(p.index()) : counts.get().failures(p.index());
                    }
                }
            }
        }
        return total;
    }
}
