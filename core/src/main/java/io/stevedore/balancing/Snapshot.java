package io.stevedore.balancing;

import io.stevedore.config.BalanceType;
import java.util.ArrayList;
import java.util.List;

/**
 * One immutable state of an upstream: which peers are up, which of them are in the rotation
 * (the up primaries, or else the backup if it is up, or else none) and the lookup structure over
 * them. Built by the writer that changes health and published through one volatile field, so
 * selectors read a consistent whole without locking.
 */
final class Snapshot {

    final boolean[] up;
    /** Whether the rotation is the backup alone because every primary is down. */
    final boolean onBackup;
    /** Peer indices in the rotation, ascending. */
    final int[] active;
    /** {@code chash}: Maglev entries (peer indices); null when the rotation is empty or for {@code rr}. */
    final int[] table;
    /** {@code rr}: one unrolled smooth cycle; null when the rotation is empty, the cycle too long, or for {@code chash}. */
    final int[] cycle;
    /** {@code rr}: reduced weights of {@link #active}, for selectors that run the algorithm themselves. */
    final int[] activeWeights;
    final long totalWeight;
    /**
     * The rotation of new sessions: this one without the draining peers, or this one itself when
     * no peer drains. The full rotation keeps the draining peers so that the datagrams of sessions
     * that used one are chosen as before (a {@code chash} key keeps its peer).
     */
    final Snapshot fresh;

    private Snapshot(boolean[] up, boolean onBackup, int[] active, int[] table, int[] cycle,
                     int[] activeWeights, long totalWeight, Snapshot fresh) {
        this.fresh = fresh == null ? this : fresh;
        this.up = up;
        this.onBackup = onBackup;
        this.active = active;
        this.table = table;
        this.cycle = cycle;
        this.activeWeights = activeWeights;
        this.totalWeight = totalWeight;
    }

    static Snapshot build(List<Peer> peers, BalanceType type, int tableSize, boolean[] up) {
        Snapshot fresh = peers.stream().anyMatch(Peer::draining) ? build(peers, type, tableSize, up, true, null) : null;
        return build(peers, type, tableSize, up, false, fresh);
    }

    /** @param withoutDraining leave the draining peers out, as if they were down */
    private static Snapshot build(List<Peer> peers, BalanceType type, int tableSize, boolean[] up,
            boolean withoutDraining, Snapshot fresh) {
        List<Peer> rotation = new ArrayList<>();
        Peer backup = null;
        for (Peer p : peers) {
            if (withoutDraining && p.draining()) {
                continue;
            }
            if (p.backup()) {
                backup = p;
            } else if (up[p.index()]) {
                rotation.add(p);
            }
        }
        boolean onBackup = false;
        if (rotation.isEmpty() && backup != null && up[backup.index()]) {
            rotation.add(backup);
            onBackup = true;
        }
        int[] active = rotation.stream().mapToInt(Peer::index).toArray();
        if (rotation.isEmpty()) {
            return new Snapshot(up, false, active, null, null, new int[0], 0, fresh);
        }
        if (type.maglev()) {
            return new Snapshot(up, onBackup, active, MaglevTable.build(rotation, tableSize), null, new int[0], 0, fresh);
        }
        int[] weights = SmoothRoundRobin.reducedWeights(rotation);
        long total = 0;
        for (int w : weights) {
            total += w;
        }
        return new Snapshot(up, onBackup, active, null, SmoothRoundRobin.unrolledCycle(rotation, weights), weights,
                total, fresh);
    }

    /** For logs: what takes traffic in this state. */
    String describeRotation(int primaryCount) {
        if (active.length == 0) {
            return "no peer up, datagrams are dropped";
        }
        if (onBackup) {
            return "all primaries down, backup takes traffic";
        }
        return active.length + " of " + primaryCount + " primaries in rotation";
    }
}
