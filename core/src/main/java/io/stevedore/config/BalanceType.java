package io.stevedore.config;

/** {@code Upstream.Type}: how a peer is picked among the live ones. */
public enum BalanceType {
    /** Smooth weighted round robin. */
    RR("rr"),
    /** Maglev consistent hashing over the payload bytes {@code KeyBytes}. */
    CHASH("chash");

    private final String configName;

    BalanceType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }
}
