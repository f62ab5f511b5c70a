package io.stevedore.balancing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size whose
 * entries name peers, filled by letting peers take turns claiming their next preferred free entry.
 * A peer's preference list is the permutation {@code offset, offset + skip, ...} mod size, with
 * offset and skip from two independent hashes of its address and port.
 *
 * <p>Weights: every round each peer earns {@code weight} credits and claims one entry per
 * {@code maxWeight} credits, so after {@code r} rounds a peer holds {@code floor(r * weight /
 * maxWeight)} entries. Claims stay interleaved (a heavy peer does not take a burst of entries),
 * which keeps both balance and disruption close to the unweighted algorithm.
 *
 * <p>The table is a pure function of the set of (address, weight) pairs and the size: peers are
 * sorted by address bytes then port before the turns start, and the hashes have fixed seeds.
 * So every Stevedore instance with the same config maps every key to the same peer.
 */
final class MaglevTable {

    /** Addresses order: IPv4 before IPv6 before unresolved names, then bytes unsigned, then port. */
    static final Comparator<Peer> ADDRESS_ORDER = (a, b) -> {
        byte[] x = addressBytes(a.address());
        byte[] y = addressBytes(b.address());
        int c = Integer.compare(kind(a.address()), kind(b.address()));
        if (c == 0) {
            c = Arrays.compareUnsigned(x, y);
        }
        return c != 0 ? c : Integer.compare(a.address().getPort(), b.address().getPort());
    };

    private MaglevTable() {
    }

    /**
     * Entries of a table of {@code size} (a prime) over {@code peers}, each entry a
     * {@link Peer#index()}. Every peer must have a distinct address and port; {@code peers} must
     * not be empty.
     */
    static int[] build(List<Peer> peers, int size) {
        requirePrime(size);
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a Maglev table needs at least one peer");
        }
        Peer[] sorted = peers.toArray(new Peer[0]);
        Arrays.sort(sorted, ADDRESS_ORDER);
        int n = sorted.length;
        int[] next = new int[n];
        int[] skip = new int[n];
        long[] weight = new long[n];
        long maxWeight = 0;
        for (int i = 0; i < n; i++) {
            byte[] key = permutationKey(sorted[i].address());
            next[i] = slot(hash(key, KeyHash.OFFSET_SEED), size);
            skip[i] = (int) Long.remainderUnsigned(hash(key, KeyHash.SKIP_SEED), size - 1) + 1;
            weight[i] = sorted[i].weight();
            maxWeight = Math.max(maxWeight, weight[i]);
        }

        int[] table = new int[size];
        Arrays.fill(table, -1);
        long[] credit = new long[n];
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                credit[i] += weight[i];
                if (credit[i] < maxWeight) {
                    continue;
                }
                credit[i] -= maxWeight;
                int c = next[i];
                while (table[c] >= 0) {
                    c += skip[i];
                    if (c >= size) {
                        c -= size;
                    }
                }
                table[c] = sorted[i].index();
                c += skip[i];
                next[i] = c >= size ? c - size : c;
                if (++filled == size) {
                    return table;
                }
            }
        }
    }

    /**
     * Maps a well-mixed 64-bit hash onto {@code [0, size)} with a multiply and shift instead of a
     * division: the high 32 bits times the size, high half of the product.
     */
    static int slot(long hash, int size) {
        return (int) (((hash >>> 32) * size) >>> 32);
    }

    static void requirePrime(int size) {
        if (size < 2 || !BigInteger.valueOf(size).isProbablePrime(64)) {
            throw new IllegalArgumentException("Maglev TableSize must be a prime, got " + size);
        }
    }

    private static long hash(byte[] key, long seed) {
        ByteBuf buf = Unpooled.wrappedBuffer(key);
        try {
            return KeyHash.hash(buf, 0, key.length, seed);
        } finally {
            buf.release();
        }
    }

    /** Address bytes followed by the port, big-endian. */
    private static byte[] permutationKey(InetSocketAddress address) {
        byte[] ip = addressBytes(address);
        byte[] key = Arrays.copyOf(ip, ip.length + 2);
        key[ip.length] = (byte) (address.getPort() >>> 8);
        key[ip.length + 1] = (byte) address.getPort();
        return key;
    }

    private static byte[] addressBytes(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        return ip != null ? ip.getAddress() : address.getHostString().getBytes(StandardCharsets.UTF_8);
    }

    private static int kind(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        return ip == null ? 2 : ip.getAddress().length == 4 ? 0 : 1;
    }
}
