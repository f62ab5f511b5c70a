package io.stevedore.quic;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server ID field of one {@link QuicLbConfig}'s connection IDs, in both directions: decoding
 * (what the load balancer does to every datagram) reads in place and allocates nothing; encoding
 * (what a server does when it issues a connection ID) is here for servers and tests.
 *
 * <p>Three schemes, as the draft defines them: no key, the server ID is the first octets after
 * the first one; a key and 16 octets of server ID plus nonce, one AES-128-ECB block; a key and any
 * other length, a four-round Feistel network whose round function is AES-128-ECB over the
 * "expanded" half (the half, zero padding, the plaintext length, the pass number). With an odd
 * length the middle octet is split: its high nibble belongs to the left half, its low nibble to
 * the right one, and each half keeps the other nibble zero after every pass.
 *
 * <p>Not thread-safe: a {@link Cipher} and the scratch arrays are per instance, so each event
 * loop holds its own codec.
 */
public final class ServerIdCodec {

    private static final int BLOCK = 16;

    private final QuicLbConfig config;
    private final int length;
    private final int half;
    private final boolean odd;
    private final Cipher encrypt;
    private final Cipher decrypt;
    private final byte[] left = new byte[BLOCK];
    private final byte[] right = new byte[BLOCK];
    private final byte[] in = new byte[BLOCK];
    private final byte[] out = new byte[BLOCK];

    public ServerIdCodec(QuicLbConfig config) {
        this.config = config;
        this.length = config.plaintextLength();
        this.half = (length + 1) / 2;
        this.odd = (length & 1) == 1;
        if (config.encrypted()) {
            this.encrypt = cipher(Cipher.ENCRYPT_MODE, config.key());
            this.decrypt = length == BLOCK ? cipher(Cipher.DECRYPT_MODE, config.key()) : null;
        } else {
            this.encrypt = null;
            this.decrypt = null;
        }
    }

    public QuicLbConfig config() {
        return config;
    }

    /**
     * Writes the server ID of the connection ID whose first octet is {@code cid[offset]} into
     * {@code serverId[0 .. serverIdLength)}. The caller has checked that the connection ID holds at
     * least {@link QuicLbConfig#connectionIdLength()} octets.
     */
    public void decode(byte[] cid, int offset, byte[] serverId) {
        int body = offset + 1;
        int idLength = config.serverIdLength();
        if (encrypt == null) {
            System.arraycopy(cid, body, serverId, 0, idLength);
        } else if (length == BLOCK) {
            aes(decrypt, cid, body, out);
            System.arraycopy(out, 0, serverId, 0, idLength);
        } else {
            split(cid, body);
            round(4, right, left); // left_1
            round(3, left, right); // right_1
            round(2, right, left); // left_0
            // The server ID lies wholly in left_0 when it is no longer than the whole octets there.
            if (idLength > length / 2) {
                round(1, left, right); // right_0
                join(serverId, 0, idLength);
            } else {
                System.arraycopy(left, 0, serverId, 0, idLength);
            }
        }
    }

    /**
     * A connection ID under this configuration: the first octet (config rotation bits, then the
     * length of what follows when {@code selfDescribing}, else zero bits), the server ID and nonce,
     * encrypted if there is a key.
     */
    public byte[] encode(byte[] serverId, byte[] nonce, boolean selfDescribing) {
        if (serverId.length != config.serverIdLength() || nonce.length != config.nonceLength()) {
            throw new IllegalArgumentException("server ID of " + serverId.length + " and nonce of " + nonce.length
                    + " octets do not fit " + config);
        }
        byte[] cid = new byte[1 + length];
        cid[0] = (byte) (config.configId() << 5 | (selfDescribing ? length : 0));
        System.arraycopy(serverId, 0, cid, 1, serverId.length);
        System.arraycopy(nonce, 0, cid, 1 + serverId.length, nonce.length);
        if (encrypt == null) {
            return cid;
        }
        if (length == BLOCK) {
            aes(encrypt, cid, 1, out);
            System.arraycopy(out, 0, cid, 1, BLOCK);
            return cid;
        }
        split(cid, 1);
        round(1, left, right); // right_1
        round(2, right, left); // left_1
        round(3, left, right); // right_2
        round(4, right, left); // left_2
        join(cid, 1, length);
        return cid;
    }

    /** Loads {@code left} and {@code right} with the two halves of {@code length} octets at {@code from}. */
    private void split(byte[] source, int from) {
        System.arraycopy(source, from, left, 0, half);
        System.arraycopy(source, from + length - half, right, 0, half);
        if (odd) {
            left[half - 1] &= (byte) 0xF0;
            right[0] &= 0x0F;
        }
    }

    /** Writes the first {@code count} octets of left ‖ right, middle nibbles merged, at {@code to}. */
    private void join(byte[] target, int to, int count) {
        int whole = length / 2;
        for (int i = 0; i < count; i++) {
            byte b;
            if (i < whole) {
                b = left[i];
            } else if (odd && i == whole) {
                b = (byte) (left[half - 1] | right[0]);
            } else {
                b = right[i - length + half];
            }
            target[to + i] = b;
        }
    }

    /** One Feistel pass: {@code target ^= AES(expand(length, pass, source))}, then the odd-length nibble cleared. */
    private void round(int pass, byte[] source, byte[] target) {
        System.arraycopy(source, 0, in, 0, half);
        for (int i = half; i < BLOCK - 2; i++) {
            in[i] = 0;
        }
        in[BLOCK - 2] = (byte) length;
        in[BLOCK - 1] = (byte) pass;
        aes(encrypt, in, 0, out);
        for (int i = 0; i < half; i++) {
            target[i] ^= out[i];
        }
        if (odd) {
            if (target == left) {
                left[half - 1] &= (byte) 0xF0;
            } else {
                right[0] &= 0x0F;
            }
        }
    }

    private static void aes(Cipher cipher, byte[] source, int from, byte[] target) {
        try {
            cipher.update(source, from, BLOCK, target, 0);
        } catch (GeneralSecurityException e) {
            // A 16-octet block into a 16-octet array under ECB without padding cannot fail.
            throw new IllegalStateException(e);
        }
    }

    private static Cipher cipher(int mode, byte[] key) {
        try {
            Cipher cipher = Cipher.getInstance("AES/ECB/NoPadding");
            cipher.init(mode, new SecretKeySpec(key, "AES"));
            return cipher;
        } catch (GeneralSecurityException e) {
            // Every Java platform must provide AES/ECB/NoPadding.
            throw new IllegalStateException("AES-128-ECB is not available", e);
        }
    }
}
