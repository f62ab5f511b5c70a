package io.stevedore.balancing;

import static io.stevedore.balancing.Upstreams.chash;
import static io.stevedore.balancing.Upstreams.equalPeers;
import static io.stevedore.balancing.Upstreams.peer;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Maglev's promises as numbers, over seeded random keys sent through a real {@link Selector}:
 * balance, weights, minimal disruption. Seeds are fixed so a failure reproduces.
 */
class MaglevPropertiesTest {

    private static final int KEYS = 1_000_000;
    private static final double TOLERANCE = 0.03;

    /** Counts, per peer index, where {@code KEYS} random 4-byte keys (KCP conversation ids) go. */
    static long[] shares(Upstream upstream, long seed) {
        Selector selector = upstream.newSelector();
        long[] counts = new long[upstream.peers().size()];
        Random random = new Random(seed);
        ByteBuf datagram = Unpooled.buffer(24);
        try {
            for (int k = 0; k < KEYS; k++) {
                datagram.clear().writeInt(random.nextInt()).writeLong(k).writeLong(~k);
                counts[selector.select(datagram)]++;
            }
        } finally {
            datagram.release();
        }
        return counts;
    }

    static void assertShares(long[] counts, double[] expectedFractions) {
        for (int p = 0; p < counts.length; p++) {
            double expected = expectedFractions[p] * KEYS;
            assertThat(Math.abs(counts[p] - expected) / expected)
                    .as("peer %d got %d keys, expected %.0f (within 3%%)", p, counts[p], expected)
                    .isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0} equal peers")
    @ValueSource(ints = {2, 3, 5, 7, 10, 20, 50})
    void equalPeersShareKeysEvenly(int n) {
        Upstream u = Upstream.of(chash(equalPeers(n)));
        int[] entries = u.tableEntriesPerPeer();
        int size = UpstreamConfig.TABLE_SIZE.defaultValue();
        for (int e : entries) {
            assertThat(e).as("table entries per peer").isBetween(size / n, size / n + 1);
        }
        double[] expected = new double[n];
        Arrays.fill(expected, 1.0 / n);
        assertShares(shares(u, n), expected);
    }

    static List<int[]> weightSets() {
        Random random = new Random(42);
        int[] tenRandom = new int[10];
        for (int i = 0; i < tenRandom.length; i++) {
            tenRandom[i] = 1 + random.nextInt(4);
        }
        return List.of(new int[] {1, 2}, new int[] {1, 2, 3, 4}, new int[] {1, 1, 10}, new int[] {3, 7, 11, 13, 17},
                new int[] {100, 300}, tenRandom);
    }

    @ParameterizedTest(name = "weights {0}")
    @MethodSource("weightSets")
    void weightedPeersShareKeysByWeight(int[] weights) {
        List<PeerConfig> peers = new ArrayList<>();
        long sum = 0;
        for (int i = 0; i < weights.length; i++) {
            peers.add(peer(i, weights[i]));
            sum += weights[i];
        }
        Upstream u = Upstream.of(chash(peers));
        double[] expected = new double[weights.length];
        int[] entries = u.tableEntriesPerPeer();
        for (int i = 0; i < weights.length; i++) {
            expected[i] = (double) weights[i] / sum;
            double expectedEntries = expected[i] * UpstreamConfig.TABLE_SIZE.defaultValue();
            assertThat(Math.abs(entries[i] - expectedEntries)).as("entries of peer %d", i).isLessThanOrEqualTo(1.0);
        }
        assertShares(shares(u, sum), expected);
    }

    static List<Object[]> disruptionCases() {
        List<Object[]> cases = new ArrayList<>();
        for (int n : new int[] {2, 3, 5, 10, 20, 50}) {
            cases.add(new Object[] {n, false});
        }
        cases.add(new Object[] {10, true});
        cases.add(new Object[] {50, true});
        return cases;
    }

    /**
     * Removing one peer moves that peer's keys and at most 1% of the others' (measured over table
     * entries, which is exactly the fraction of keys); adding it back restores the table exactly.
     */
    @ParameterizedTest(name = "{0} peers, weighted: {1}")
    @MethodSource("disruptionCases")
    void losingAPeerMovesItsKeysAndAlmostNoOthers(int n, boolean weighted) {
        Random random = new Random(n);
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(peer(i, weighted ? 1 + random.nextInt(5) : 1));
        }
        Upstream u = Upstream.of(chash(peers));
        int[] before = u.snapshot().table.clone();
        double worst = 0;
        for (int gone = 0; gone < n; gone++) {
            u.setPeerUp(gone, false, "disruption test");
            int[] after = u.snapshot().table;
            int others = 0;
            int moved = 0;
            for (int e = 0; e < before.length; e++) {
                assertThat(after[e]).isNotEqualTo(gone);
                if (before[e] != gone) {
                    others++;
                    moved += after[e] != before[e] ? 1 : 0;
                }
            }
            worst = Math.max(worst, (double) moved / others);
            u.setPeerUp(gone, true, "disruption test");
            assertThat(u.snapshot().table).as("restored after peer %d came back", gone).isEqualTo(before);
        }
        assertThat(worst).as("worst fraction of other peers' keys moved").isLessThanOrEqualTo(0.01);
    }

    @ParameterizedTest(name = "{0} peers")
    @ValueSource(ints = {3, 20})
    void keysFollowTheTableWhenAPeerGoesAndComesBack(int n) {
        Upstream u = Upstream.of(chash(equalPeers(n)));
        Selector selector = u.newSelector();
        ByteBuf d = Unpooled.buffer(8);
        int keys = 200_000;
        int[] first = new int[keys];
        try {
            for (int k = 0; k < keys; k++) {
                first[k] = Upstreams.selectKey(selector, d, k * 0x9E3779B1);
            }
            u.setPeerUp(1, false, "test");
            int othersMoved = 0;
            int others = 0;
            for (int k = 0; k < keys; k++) {
                int now = Upstreams.selectKey(selector, d, k * 0x9E3779B1);
                assertThat(now).isNotEqualTo(1);
                if (first[k] != 1) {
                    others++;
                    othersMoved += now != first[k] ? 1 : 0;
                }
            }
            assertThat((double) othersMoved / others).isLessThanOrEqualTo(0.01);
            u.setPeerUp(1, true, "test");
            for (int k = 0; k < keys; k++) {
                assertThat(Upstreams.selectKey(selector, d, k * 0x9E3779B1)).isEqualTo(first[k]);
            }
        } finally {
            d.release();
        }
    }

    @ParameterizedTest(name = "key {0}")
    @ValueSource(strings = {"0:9", "3:40"})
    void keysLongerThanAWordBalanceAndEveryByteCounts(String keyBytes) {
        String[] se = keyBytes.split(":");
        KeyBytes key = new KeyBytes(Integer.parseInt(se[0]), Integer.parseInt(se[1]));
        int n = 7;
        Upstream u = Upstream.of(chash(key, UpstreamConfig.TABLE_SIZE.defaultValue(), equalPeers(n)));
        Selector selector = u.newSelector();
        long[] counts = new long[n];
        byte[] payload = new byte[key.end() + 5];
        ByteBuf d = Unpooled.wrappedBuffer(payload);
        try {
            // only the last byte of the key varies: each of its values is a distinct key
            int last = key.end() - 1;
            for (int round = 0; round < 400; round++) {
                payload[key.start()] = (byte) round;
                payload[key.start() + 1] = (byte) (round >> 8);
                for (int b = 0; b < 256; b++) {
                    payload[last] = (byte) b;
                    counts[selector.select(d)]++;
                }
            }
        } finally {
            d.release();
        }
        long total = 400 * 256;
        for (long c : counts) {
            assertThat(Math.abs(c - total / (double) n) / (total / (double) n)).isLessThanOrEqualTo(0.05);
        }
    }

    @ParameterizedTest(name = "table size {0}")
    @ValueSource(ints = {2, 3, 997})
    void smallPrimeTablesFillCompletely(int size) {
        List<PeerConfig> peers = new ArrayList<>(equalPeers(5));
        Collections.reverse(peers);
        Upstream u = Upstream.of(chash(new KeyBytes(0, 4), size, peers));
        assertThat(Arrays.stream(u.tableEntriesPerPeer()).sum()).isEqualTo(size);
        assertThat(u.snapshot().table).doesNotContain(-1);
    }
}
