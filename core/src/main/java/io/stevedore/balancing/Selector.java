package io.stevedore.balancing;

import io.netty.buffer.ByteBuf;
import io.stevedore.config.KeyBytes;
import io.stevedore.quic.ServerIdRouter;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Picks the peer for one datagram on one event loop. Reads the upstream's current snapshot once
 * per call (a volatile read, no lock) and keeps the round-robin position itself, so event loops
 * share no mutable state. Not thread-safe: one per event loop.
 *
 * <p>Draining peers stay in what {@link #select} picks from; a caller that gets one for a session
 * that never used it asks {@link #fresh} instead, which picks among the others with a round-robin
 * position of its own. So the datagrams that involve no draining peer cost one null check more.
 */
public final class Selector {

    /** Nothing in the rotation: every primary is down and the backup is down or absent. */
    public static final int NO_PEER = -1;
    /** A {@code chash} datagram shorter than {@code KeyBytes.end}. */
    public static final int SHORT_KEY = -2;

    private final Upstream upstream;
    private final boolean chash;
    private final int keyStart;
    private final int keyLength;
    private final int keyEnd;
    private int position;
    /** Current weights for cycles too long to unroll; reset whenever the snapshot changes. */
    private final long[] current;
    private Snapshot currentFor;
    private final boolean[] draining;
    /** Picks for new sessions when a peer drains; null when none does. */
    private final Selector fresh;
    /** {@code quic} upstreams: the connection-ID decoder of this loop; null for the others. */
    private final ServerIdRouter router;

    Selector(Upstream upstream, KeyBytes key, int peerCount, ServerIdRouter router) {
        this(upstream, key, peerCount, upstream.drainingPeers(), router);
    }

    private Selector(Upstream upstream, KeyBytes key, int peerCount, boolean[] draining, ServerIdRouter router) {
        this.upstream = upstream;
        this.router = router;
        this.chash = key != null;
        this.keyStart = chash ? key.start() : 0;
        this.keyLength = chash ? key.length() : 0;
        this.keyEnd = chash ? key.end() : 0;
        this.current = new long[peerCount];
        this.draining = draining;
        this.fresh = draining == null ? null : new Selector(upstream, key, peerCount, null, null);
    }

    /** Whether {@code peer} (an index {@link #select} returned) drains. */
    public boolean draining(int peer) {
        return draining != null && draining[peer];
    }

    /**
     * The peer for a datagram of a session that has not used the draining peer {@link #select}
     * chose: as {@link #select}, among the peers that do not drain ({@link #NO_PEER} when none is
     * in their rotation). Only after {@link #select} returned a draining peer.
     */
    public int fresh(ByteBuf datagram) {
        return fresh.pick(datagram, upstream.snapshot().fresh);
    }

    /**
     * The peer index for this datagram's readable bytes, {@link #SHORT_KEY} or {@link #NO_PEER}.
     * A short key is reported even when no peer is up: it is a property of the datagram. Does not
     * move the buffer's indices; no allocation, no locks.
     */
    public int select(ByteBuf datagram) {
        return pick(datagram, upstream.snapshot());
    }

    private int pick(ByteBuf datagram, Snapshot s) {
        if (chash) {
            int base = datagram.readerIndex();
            if (datagram.writerIndex() - base < keyEnd) {
                return SHORT_KEY;
            }
            int[] table = s.table;
            if (table == null) {
                return NO_PEER;
            }
            long hash = KeyHash.hash(datagram, base + keyStart, keyLength, KeyHash.KEY_SEED);
            return table[MaglevTable.slot(hash, table.length)];
        }
        int[] cycle = s.cycle;
        if (cycle != null) {
            int p = position;
            if (p >= cycle.length) {
                p = 0;
            }
            position = p + 1;
            return cycle[p];
        }
        if (s.active.length == 0) {
            return NO_PEER;
        }
        if (currentFor != s) {
            currentFor = s;
            Arrays.fill(current, 0);
        }
        return s.active[SmoothRoundRobin.pick(s.activeWeights, current, s.totalWeight)];
    }

    /**
     * {@code quic}: the peer whose server ID the datagram's destination connection ID carries,
     * while that peer is up (the backup too: a connection stays where it began), else
     * {@link #NO_PEER}. Reads in place; no allocation, no locks.
     */
    public int byServerId(ByteBuf datagram) {
        int peer = router.route(datagram);
        return peer != ServerIdRouter.UNROUTABLE && upstream.snapshot().up[peer] ? peer : NO_PEER;
    }

    /**
     * {@code quic}'s fallback for a datagram whose connection ID does not route, the QUIC-LB
     * draft's baseline: Maglev over the client's address and port among the peers that do not
     * drain, or {@link #NO_PEER}. Copies the address's bytes: the caller remembers the answer in
     * the session.
     */
    public int byClient(InetSocketAddress client) {
        int[] table = upstream.snapshot().fresh.table;
        return table == null ? NO_PEER : table[MaglevTable.slot(KeyHash.hash(client), table.length)];
    }
}
