package io.stevedore.balancing;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * The 64-bit hash behind {@code chash}: of the key bytes of every datagram, and (with other seeds)
 * of each peer's address to derive its Maglev permutation.
 *
 * <p>Hand-written rather than a library because it must read the bytes in place from a
 * {@link ByteBuf} (8-byte {@code getLong} words, no copy), allocate nothing, and stay identical
 * across processes and versions: seeds are fixed constants and nothing depends on identity hashes.
 * Each word is folded in with a full-avalanche 64-bit finalizer (the multiply-xorshift mix of
 * SplitMix64), so keys that differ in one bit, or that are consecutive counters such as KCP
 * conversation ids, spread evenly. The length enters the initial state so zero-padded tails
 * of different lengths do not collide. Not meant to resist chosen collisions: a client can only
 * pick its own backend, which it could do anyway by choosing its key.
 */
final class KeyHash {

    /** Seed for datagram keys. */
    static final long KEY_SEED = 0x5DEECE66D1F3A5B7L;
    /** Seeds for the two independent hashes of a peer address (Maglev offset and skip). */
    static final long OFFSET_SEED = 0x2545F4914F6CDD1DL;
    static final long SKIP_SEED = 0x9E6C63D0676A9A99L;
    /** Seed for a client's address and port, the key of {@code quic}'s fallback. */
    static final long CLIENT_SEED = 0x3C6EF372FE94F82BL;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private KeyHash() {
    }

    /**
     * Hash of {@code length} (at least 1) bytes of {@code buf} at {@code index}; reads in place,
     * never allocates.
     */
    static long hash(ByteBuf buf, int index, int length, long seed) {
        long h = seed ^ (length * GOLDEN);
        int i = index;
        int end = index + length;
        while (end - i >= 8) {
            h = mix(h ^ buf.getLong(i));
            i += 8;
        }
        int tail = end - i;
        if (tail > 0) {
            h = mix(h ^ readTail(buf, i, tail));
        }
        return h;
    }

    /**
     * Hash of a client's IP address and port. Copies the address's bytes, so the caller runs it
     * once per session, not per datagram.
     */
    static long hash(InetSocketAddress client) {
        byte[] ip = client.getAddress().getAddress();
        long h = CLIENT_SEED ^ (ip.length * GOLDEN);
        for (int i = 0; i < ip.length; i += 4) {
            h = mix(h ^ ((ip[i] & 0xFFL) << 24 | (ip[i + 1] & 0xFF) << 16 | (ip[i + 2] & 0xFF) << 8 | (ip[i + 3] & 0xFF)));
        }
        return mix(h ^ client.getPort());
    }

    /** Full-avalanche bijection of 64 bits (SplitMix64's finalizer). */
    static long mix(long x) {
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    private static long readTail(ByteBuf buf, int index, int length) {
        long word = 0;
        int i = index;
        if ((length & 4) != 0) {
            word = buf.getUnsignedInt(i);
            i += 4;
        }
        if ((length & 2) != 0) {
            word = (word << 16) | buf.getUnsignedShort(i);
            i += 2;
        }
        if ((length & 1) != 0) {
            word = (word << 8) | buf.getUnsignedByte(i);
        }
        return word;
    }
}
