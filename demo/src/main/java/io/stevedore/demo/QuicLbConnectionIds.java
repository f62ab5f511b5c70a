package io.stevedore.demo;

import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.quic.ServerIdCodec;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * What a QUIC server behind Stevedore plugs into its stack: every connection ID it issues carries
 * its server ID under a QUIC-LB configuration. The codec asks for IDs derived from a client's
 * initial IDs and expects the same answer for the same input (it finds a connection again by a
 * retransmitted Initial), so the nonce of a derived ID is a digest of its input.
 */
public final class QuicLbConnectionIds implements QuicConnectionIdGenerator {

    private final ServerIdCodec codec;
    private final byte[] serverId;
    private final SecureRandom random = new SecureRandom();

    public QuicLbConnectionIds(QuicLbConfig config, byte[] serverId) {
        this.codec = new ServerIdCodec(config);
        this.serverId = serverId.clone();
    }

    @Override
    public ByteBuffer newId(int length) {
        byte[] nonce = new byte[codec.config().nonceLength()];
        random.nextBytes(nonce);
        return issue(nonce);
    }

    @Override
    public ByteBuffer newId(ByteBuffer input, int length) {
        return issue(digest(input, null));
    }

    @Override
    public ByteBuffer newId(ByteBuffer scid, ByteBuffer dcid, int length) {
        return issue(digest(scid, dcid));
    }

    @Override
    public int maxConnectionIdLength() {
        return codec.config().connectionIdLength();
    }

    @Override
    public boolean isIdempotent() {
        return true;
    }

    private synchronized ByteBuffer issue(byte[] nonce) {
        return ByteBuffer.wrap(codec.encode(serverId, nonce, true));
    }

    private byte[] digest(ByteBuffer first, ByteBuffer second) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(first.duplicate());
            if (second != null) {
                sha.update(second.duplicate());
            }
            byte[] nonce = new byte[codec.config().nonceLength()];
            System.arraycopy(sha.digest(), 0, nonce, 0, nonce.length);
            return nonce;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
