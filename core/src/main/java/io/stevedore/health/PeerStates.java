package io.stevedore.health;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner of the data plane's view of peer health: one thread of its own,
 * {@value #THREAD_NAME}, marks peers down when an event loop suspects them, applies the verdicts
 * of the active health checks, rebuilds their upstream's table and publishes it (each {@link Upstream} holds its immutable snapshot behind a
 * volatile reference that the loops read), revives a peer after {@link #PASSIVE_DOWN_SEC} when no
 * health checker would, and carries the peers that are down over to the upstreams of a reload.
 *
 * <p>An event loop only reports: {@link #suspect} is one hand-off to this thread and returns at
 * once, so no loop ever rebuilds a Maglev table (milliseconds at the default size) or takes a lock
 * another loop takes. A loop that wants to act on the outcome (send the datagram again, to
 * another peer) passes a task that runs on its own executor once the new table is published.
 */
public final class PeerStates implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerStates.class);

    static final String THREAD_NAME = "stevedore-peer-state";
    /** How long a peer marked down by the data plane stays down when no health checker can revive it. */
    public static final int PASSIVE_DOWN_SEC = 10;
    /** Part of a stop, which must end within 2 s whatever runs here. */
    private static final long CLOSE_TIMEOUT_MILLIS = 500;

    /** Netty's executor: its task queue takes no lock, so reporting loops never contend on one. */
    private final DefaultEventExecutor thread;
    /** Replaced by {@link #next} on this object's thread; read anywhere. */
    private volatile List<Upstream> upstreams;

    private PeerStates(List<Upstream> upstreams) {
        this.upstreams = upstreams;
        this.thread = new DefaultEventExecutor(task -> {
            Thread t = new Thread(task, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
    }

    /** The upstreams of {@code configs}, every peer up, and the thread that owns their health. */
    public static PeerStates start(List<UpstreamConfig> configs) {
        List<Upstream> upstreams = new ArrayList<>(configs.size());
        configs.forEach(config -> upstreams.add(Upstream.of(config)));
        return new PeerStates(List.copyOf(upstreams));
    }

    /**
     * A thread of its own over upstreams built elsewhere: what health checks started without the
     * daemon's {@code PeerStates} publish through, so that every verdict takes the same path.
     */
    static PeerStates over(List<Upstream> upstreams) {
        return new PeerStates(List.copyOf(upstreams));
    }

    /** The upstreams in config order, as of the last {@link #next}. Any thread. */
    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** As {@link #suspect(Upstream, int, String, Executor, Runnable)}, with nothing to do afterwards. */
    public void suspect(Upstream upstream, int peer, String reason) {
        suspect(upstream, peer, reason, null, null);
    }

    /**
     * Reports that {@code peer} of {@code upstream} failed. Any thread; returns at once. On this
     * object's thread the peer is marked down (the table rebuilt and published, one log line)
     * unless it is already, and, when no health checker probes the upstream, marked up again after
     * {@link #PASSIVE_DOWN_SEC}. Then {@code then}, if given, is executed on {@code caller}: it sees
     * the peer down, unless something brought it back meanwhile.
     */
    public void suspect(Upstream upstream, int peer, String reason, Executor caller, Runnable then) {
        try {
            thread.execute(() -> {
                try {
                    markDown(upstream, peer, reason);
                } finally {
                    // Whatever happened, the loop gets back what it handed over (a datagram to send again).
                    if (then != null) {
                        handBack(caller, then);
                    }
                }
            });
        } catch (RejectedExecutionException closed) {
            // Stopping: the data plane is going too.
            if (then != null) {
                handBack(caller, then);
            }
        }
    }

    /**
     * An active health check's verdict on {@code peer} of {@code upstream}. Any thread; returns at
     * once. On this object's thread the peer is marked up or down (the table rebuilt and
     * published, one log line) unless it already is; then {@code then} is executed on
     * {@code caller}, also when this object is closed and applies nothing.
     */
    public void verdict(Upstream upstream, int peer, boolean up, String reason, Executor caller, Runnable then) {
        try {
            thread.execute(() -> {
                try {
                    upstream.setPeerUp(peer, up, reason);
                } finally {
                    handBack(caller, then);
                }
            });
        } catch (RejectedExecutionException closed) {
            handBack(caller, then);
        }
    }

    /**
     * Returns once what was handed over before this call has been applied, or after
     * {@code timeoutMillis}; at once if this object is closed. Never on this object's thread.
     */
    void awaitHandedOver(long timeoutMillis) {
        try {
            thread.submit(() -> { }).awaitUninterruptibly(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // Nothing queued will run: there is nothing to wait for.
        }
    }

    private void markDown(Upstream upstream, int peer, String reason) {
        if (upstream.setPeerUp(peer, false, reason) && upstream.config().healthChecker().isEmpty()) {
            // Nothing else would ever bring this peer back.
            InetSocketAddress address = upstream.peer(peer).address();
            thread.schedule(() -> revive(upstream.name(), address), PASSIVE_DOWN_SEC, TimeUnit.SECONDS);
        }
    }

    /** The peer by what survives a reload, in the running upstreams: up again, if it is still there. */
    private void revive(String name, InetSocketAddress address) {
        for (Upstream upstream : upstreams) {
            if (upstream.name().equals(name)) {
                for (Peer peer : upstream.peers()) {
                    if (peer.address().equals(address)) {
                        upstream.setPeerUp(peer.index(), true, "down for " + PASSIVE_DOWN_SEC
                                + " s after a send error; no HealthChecker, trying it again");
                    }
                }
            }
        }
    }

    private static void handBack(Executor caller, Runnable then) {
        try {
            caller.execute(then);
        } catch (RejectedExecutionException e) {
            log.debug("the executor that handed over a peer stopped before the outcome reached it", e);
        }
    }

    /**
     * The upstreams of a reload, published from now on: a peer kept (same upstream name and
     * address) in an upstream with a {@code HealthChecker} stays down if it is down, to be brought
     * back by its checker; every other peer starts up (a peer down after a send error, with no
     * checker to revive it, gets another chance). Runs on this object's thread, so no suspicion is
     * lost between reading the old states and publishing the new ones; the caller waits.
     */
    public List<Upstream> next(List<UpstreamConfig> configs) throws InterruptedException {
        try {
            return thread.submit(() -> {
                List<Upstream> next = new ArrayList<>(configs.size());
                for (UpstreamConfig config : configs) {
                    next.add(Upstream.of(config, stillDown(config)));
                }
                upstreams = List.copyOf(next);
                return upstreams;
            }).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private Set<InetSocketAddress> stillDown(UpstreamConfig config) {
        if (config.healthChecker().isEmpty()) {
            return Set.of();
        }
        Set<InetSocketAddress> down = new HashSet<>();
        for (Upstream old : upstreams) {
            if (old.name().equals(config.name())) {
                for (Peer peer : old.peers()) {
                    if (!old.isUp(peer.index())) {
                        down.add(peer.address());
                    }
                }
            }
        }
        return down;
    }

    /**
     * Stops the thread once what was reported before has been applied (and handed back to the
     * loops, which must still run); pending revivals are dropped.
     */
    @Override
    public void close() {
        thread.shutdownGracefully(0, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }
}
