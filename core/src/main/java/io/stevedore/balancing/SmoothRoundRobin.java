package io.stevedore.balancing;

import java.util.List;

/**
 * Smooth weighted round robin, as nginx interleaves it: each pick, every peer gains its weight,
 * the peer with the most current weight wins and pays back the total. Over one cycle of
 * {@code sum(weights)} picks every peer is chosen exactly {@code weight} times, and heavy peers
 * are spread through the cycle rather than served in a burst ({@code 5,1,1} gives
 * {@code a a b a c a a}).
 *
 * <p>For the usual small weights the cycle is unrolled once per health snapshot into a shared
 * immutable array, so a selector only keeps a position. When the cycle would be longer than
 * {@link #MAX_SEQUENCE} the selector runs the algorithm itself with its own current weights.
 */
final class SmoothRoundRobin {

    /** Longest cycle unrolled into a snapshot: 256 KiB of ints, built only on health changes. */
    static final int MAX_SEQUENCE = 1 << 16;

    private SmoothRoundRobin() {
    }

    /** Weights divided by their greatest common divisor: same proportions, shortest cycle. */
    static int[] reducedWeights(List<Peer> peers) {
        int g = 0;
        for (Peer p : peers) {
            g = gcd(g, p.weight());
        }
        int[] w = new int[peers.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = peers.get(i).weight() / g;
        }
        return w;
    }

    /** One cycle of peer indices, or null if it would be longer than {@link #MAX_SEQUENCE}. */
    static int[] unrolledCycle(List<Peer> peers, int[] weights) {
        long total = 0;
        for (int w : weights) {
            total += w;
        }
        if (total > MAX_SEQUENCE) {
            return null;
        }
        long[] current = new long[weights.length];
        int[] cycle = new int[(int) total];
        for (int k = 0; k < cycle.length; k++) {
            cycle[k] = peers.get(pick(weights, current, total)).index();
        }
        return cycle;
    }

    /**
     * One step of the algorithm over {@code weights} with {@code current} as state; returns the
     * position of the chosen peer. Ties go to the earlier position, so the cycle is reproducible.
     */
    static int pick(int[] weights, long[] current, long total) {
        int best = 0;
        for (int i = 0; i < weights.length; i++) {
            current[i] += weights[i];
            if (current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        return best;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
