package io.stevedore.config;

/**
 * One entry of {@code Upload.Routes}. {@code value} is already zero-extended on the left to
 * {@code keyBytes.length()} bytes, so matchers compare byte for byte.
 */
public record RouteConfig(KeyBytes keyBytes, Operator operator, byte[] value, String upstream) {

    static final Keys KEYS = new Keys();
    static final String KEY_BYTES = KEYS.key("KeyBytes");
    static final String OPERATOR = KEYS.key("Operator");
    static final String VALUE = KEYS.key("Value");
    static final String UPSTREAM = KEYS.key("Upstream");

    public RouteConfig {
        if (value.length != keyBytes.length()) {
            throw new IllegalArgumentException("value has " + value.length + " bytes, KeyBytes selects " + keyBytes.length());
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }
}
