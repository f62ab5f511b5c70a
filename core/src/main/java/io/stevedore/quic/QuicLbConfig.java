package io.stevedore.quic;

import java.util.Arrays;

/**
 * One QUIC-LB configuration, as the configuration agent hands it to servers and load balancers:
 * the 3-bit config ID carried in the first octet of every connection ID, the lengths of the server
 * ID and nonce fields, and an optional AES-128 key (absent: the server ID travels in plaintext).
 * The constructor enforces the draft's limits; the config binder checks them first, with JSON
 * paths, so a user never sees these messages.
 */
public record QuicLbConfig(int configId, int serverIdLength, int nonceLength, byte[] key) {

    /** The first octet's top three bits: 0b111 is reserved for unroutable connection IDs. */
    public static final int UNROUTABLE_CONFIG = 7;
    public static final int MIN_NONCE_LENGTH = 4;
    public static final int MIN_SERVER_ID_LENGTH = 1;
    /** QUIC version 1 caps a connection ID at 20 octets, one of which is the first octet. */
    public static final int MAX_PLAINTEXT_LENGTH = 19;
    public static final int KEY_LENGTH = 16;

    public QuicLbConfig {
        if (configId < 0 || configId >= UNROUTABLE_CONFIG) {
            throw new IllegalArgumentException("config ID " + configId + " is not in 0..6");
        }
        if (serverIdLength < MIN_SERVER_ID_LENGTH) {
            throw new IllegalArgumentException("server ID length " + serverIdLength + " is below 1");
        }
        if (nonceLength < MIN_NONCE_LENGTH) {
            throw new IllegalArgumentException("nonce length " + nonceLength + " is below 4");
        }
        if (serverIdLength + nonceLength > MAX_PLAINTEXT_LENGTH) {
            throw new IllegalArgumentException("server ID and nonce lengths sum to "
                    + (serverIdLength + nonceLength) + ", above 19");
        }
        if (key != null && key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("key has " + key.length + " bytes, not 16");
        }
        key = key == null ? null : key.clone();
    }

    public static QuicLbConfig plaintext(int configId, int serverIdLength, int nonceLength) {
        return new QuicLbConfig(configId, serverIdLength, nonceLength, null);
    }

    /** Octets after the first that the load balancer reads: the server ID and the nonce. */
    public int plaintextLength() {
        return serverIdLength + nonceLength;
    }

    /** Octets of a connection ID issued under this configuration, first octet included. */
    public int connectionIdLength() {
        return 1 + plaintextLength();
    }

    public boolean encrypted() {
        return key != null;
    }

    @Override
    public byte[] key() {
        return key == null ? null : key.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof QuicLbConfig that && configId == that.configId
                && serverIdLength == that.serverIdLength && nonceLength == that.nonceLength
                && Arrays.equals(key, that.key);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * configId + serverIdLength) + nonceLength) + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "QuicLbConfig[configId=" + configId + ", serverIdLength=" + serverIdLength + ", nonceLength="
                + nonceLength + (key == null ? ", plaintext]" : ", encrypted]");
    }
}
