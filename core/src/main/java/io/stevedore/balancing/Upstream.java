package io.stevedore.balancing;

import io.stevedore.config.BalanceType;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.quic.ServerIdRouter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream's peers and their health. Health lives in an immutable {@link Snapshot} behind one
 * volatile reference: a health change (made by {@code health.PeerStates}, for a peer the data
 * plane suspects or on an active check's verdict) builds the next snapshot, Maglev table or round-robin cycle
 * included, and publishes it; selectors on the event loops read the current one without locking
 * and never write it.
 *
 * <p>The backup peer (at most one) is in the rotation only while every primary is down. It has its
 * own health like any peer: when it is down too, selection yields {@link Selector#NO_PEER}.
 *
 * <p>A draining peer ({@code Drain}, configuration, not health) stays in the rotation for the
 * sessions that used it; new sessions are given the rotation without it ({@link Selector#fresh}).
 */
public final class Upstream {

    private static final Logger log = LoggerFactory.getLogger(Upstream.class);

    private final UpstreamConfig config;
    private final List<Peer> peers;
    private final int primaryCount;
    /** Which peers drain, by index; null when none does, so selectors skip the question. */
    private final boolean[] draining;
    private final Object writeLock = new Object();
    private volatile Snapshot snapshot;

    private Upstream(UpstreamConfig config, List<Peer> peers, boolean[] up) {
        this.config = config;
        this.peers = peers;
        this.primaryCount = (int) peers.stream().filter(p -> !p.backup()).count();
        boolean[] drains = new boolean[peers.size()];
        for (Peer peer : peers) {
            drains[peer.index()] = peer.draining();
        }
        this.draining = peers.stream().anyMatch(Peer::draining) ? drains : null;
        this.snapshot = Snapshot.build(peers, config.type(), config.tableSize(), up);
    }

    /** Every peer starts up. */
    public static Upstream of(UpstreamConfig config) {
        return of(config, Set.of());
    }

    /**
     * The peers whose address is in {@code down} start down, the others up: a reload carries the
     * health of the peers it keeps over to the new upstream.
     */
    public static Upstream of(UpstreamConfig config, Set<InetSocketAddress> down) {
        List<Peer> peers = new ArrayList<>();
        for (PeerConfig pc : config.peers()) {
            peers.add(new Peer(peers.size(), pc.address(), pc.weight(), pc.backup(), pc.drain()));
        }
        boolean[] up = new boolean[peers.size()];
        for (Peer peer : peers) {
            up[peer.index()] = !down.contains(peer.address());
        }
        return new Upstream(config, Collections.unmodifiableList(peers), up);
    }

    public String name() {
        return config.name();
    }

    public UpstreamConfig config() {
        return config;
    }

    public List<Peer> peers() {
        return peers;
    }

    public Peer peer(int index) {
        return peers.get(index);
    }

    public boolean isUp(int peerIndex) {
        return snapshot.up[peerIndex];
    }

    /** Whether the peer drains; see {@link Peer#draining()}. */
    public boolean isDraining(int peerIndex) {
        return draining != null && draining[peerIndex];
    }

    /** The draining peers by index, or null when no peer drains. Shared: not to be written. */
    boolean[] drainingPeers() {
        return draining;
    }

    /**
     * Whether the peer takes new traffic now: up, and a primary or else the backup while every
     * primary is down. A kept peer that is up but out of the rotation (the backup after a primary
     * recovered) must not be reused.
     */
    public boolean inRotation(int peerIndex) {
        Snapshot s = snapshot;
        return s.up[peerIndex] && (!peers.get(peerIndex).backup() || s.onBackup);
    }

    /**
     * Marks a peer up or down. Called by {@code health.PeerStates} on its own thread, never by an
     * event loop: the rebuild takes milliseconds (loops and health checks report to it instead). When the state changes, builds and
     * publishes the next immutable snapshot (Maglev table included) and logs one line: upstream,
     * peer, old and new state, reason, and what now takes traffic. Writers serialise among
     * themselves; readers never lock. Returns whether the state changed.
     */
    public boolean setPeerUp(int peerIndex, boolean up, String reason) {
        Objects.checkIndex(peerIndex, peers.size());
        synchronized (writeLock) {
            Snapshot current = snapshot;
            if (current.up[peerIndex] == up) {
                return false;
            }
            boolean[] next = current.up.clone();
            next[peerIndex] = up;
            Snapshot built = Snapshot.build(peers, config.type(), config.tableSize(), next);
            snapshot = built;
            log.info("upstream {} peer {}: {} -> {} ({}); {}", name(), peers.get(peerIndex),
                    state(!up), state(up), reason, built.describeRotation(primaryCount));
            return true;
        }
    }

    /** A selector for one event loop; not thread-safe. */
    public Selector newSelector() {
        KeyBytes key = config.type() == BalanceType.CHASH ? config.keyBytes().orElseThrow() : null;
        ServerIdRouter router = config.type() == BalanceType.QUIC
                ? new ServerIdRouter(config.quicLb(), config.peers().stream().map(PeerConfig::serverId).toList())
                : null;
        return new Selector(this, key, peers.size(), router);
    }

    /**
     * Maglev table entries per peer index in the current snapshot, so imbalance can be seen
     * (empty for {@code rr}; all zero when no peer is up).
     */
    public int[] tableEntriesPerPeer() {
        if (!config.type().maglev()) {
            return new int[0];
        }
        int[] counts = new int[peers.size()];
        int[] table = snapshot.table;
        if (table != null) {
            for (int peer : table) {
                counts[peer]++;
            }
        }
        return counts;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    private static String state(boolean up) {
        return up ? "up" : "down";
    }

    @Override
    public String toString() {
        return "upstream " + name() + " (" + config.type().configName() + ", " + peers.size() + " peers)";
    }
}
