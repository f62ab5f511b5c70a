package io.stevedore.config;

/**
 * The keys of one entry of {@code Upstream.QuicLB}, which binds to {@code quic.QuicLbConfig}: the
 * ranges are the QUIC-LB draft's (a server ID of 1 to 15 octets, a nonce of 4 to 18, together at
 * most 19, config IDs 0 to 6 since 0b111 marks an unroutable connection ID).
 */
final class QuicLbKeys {

    static final Keys KEYS = new Keys();
    /** Required, like the two lengths: the binder reads them only when present. */
    static final IntKey CONFIG_ID = KEYS.integer("ConfigId", 0, 0, 6, "a config ID");
    static final IntKey SERVER_ID_LENGTH = KEYS.integer("ServerIdLength", 1, 1, 15, "a length in bytes");
    static final IntKey NONCE_LENGTH = KEYS.integer("NonceLength", 4, 4, 18, "a length in bytes");
    static final String KEY = KEYS.key("Key");

    private QuicLbKeys() {
    }
}
