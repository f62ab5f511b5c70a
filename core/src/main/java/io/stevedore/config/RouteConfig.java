package io.stevedore.config;

/**
 * One entry of {@code Upload.Routes}. {@code value} is already zero-extended on the left to
 * {@code keyBytes.length()} bytes, so matchers compare byte for byte.
 */
public record RouteConfig(KeyBytes keyBytes, Operator operator, byte[] value, String upstream) {

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
