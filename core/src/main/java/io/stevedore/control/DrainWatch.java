package io.stevedore.control;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.metrics.PeerKey;
import io.stevedore.transport.Daemon;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the operator when a draining peer may be taken out: once a second it reads the live
 * sessions of each draining peer (the per-loop counts, summed) and logs one line when a peer has
 * none left. A draining peer gains no session, so a count that reached 0 stays there. Its thread,
 * {@code stevedore-drain}, starts with the first draining peer; it reads counters and writes
 * nothing but the log.
 */
final class DrainWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DrainWatch.class);
    static final long PERIOD_MILLIS = 1000;

    private final Daemon daemon;
    /** The draining peers already reported drained; only the watch's thread touches it. */
    private final Set<PeerKey> drained = new HashSet<>();
    /** The peers draining as of the last {@link #configured}: a reload that keeps one draining says nothing new. */
    private Set<PeerKey> announced = Set.of();
    private ScheduledExecutorService thread;
    private boolean closed;

    DrainWatch(Daemon daemon) {
        this.daemon = daemon;
    }

    /**
     * The running configuration changed (start, reload, peers from DNS): logs each peer that drains
     * now and did not before, with the sessions it keeps, and starts watching if one drains.
     */
    synchronized void configured() {
        Set<PeerKey> draining = new HashSet<>();
        for (Upstream upstream : daemon.upstreams()) {
            for (Peer peer : upstream.peers()) {
                PeerKey key = new PeerKey(upstream.name(), peer.address());
                if (peer.draining() && draining.add(key) && !announced.contains(key)) {
                    log.info("upstream {} peer {} drains: {} live session(s) that have used it keep it, new sessions "
                            + "go to the other peers", upstream.name(), Addresses.format(peer.address()),
                            sessions(upstream, peer));
                }
            }
        }
        announced = draining;
        if (!draining.isEmpty() && thread == null && !closed) {
            thread = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("stevedore-drain", true));
            thread.scheduleWithFixedDelay(this::check, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private long sessions(Upstream upstream, Peer peer) {
        return daemon.counters().peer(new PeerKey(upstream.name(), peer.address()), PeerCounter.SESSIONS);
    }

    private void check() {
        try {
            report();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: the watch would go silent.
            log.warn("checking the draining peers failed", e);
        }
    }

    private void report() {
        Set<PeerKey> draining = new HashSet<>();
        for (Upstream upstream : daemon.upstreams()) {
            for (Peer peer : upstream.peers()) {
                if (!peer.draining()) {
                    continue;
                }
                PeerKey key = new PeerKey(upstream.name(), peer.address());
                draining.add(key);
                if (!drained.contains(key) && sessions(upstream, peer) == 0) {
                    drained.add(key);
                    log.info("upstream {} peer {} has drained: no live session has used it; it can be removed from "
                            + "the configuration", upstream.name(), Addresses.format(peer.address()));
                }
            }
        }
        // A peer that stopped draining (or left) is reported again if it drains again.
        drained.retainAll(draining);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.shutdownNow();
        }
    }
}
