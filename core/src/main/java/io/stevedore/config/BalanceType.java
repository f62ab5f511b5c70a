package io.stevedore.config;

/** {@code Upstream.Type}: how a peer is picked among the live ones. */
public enum BalanceType {
    /** Smooth weighted round robin. */
    RR("rr"),
    /** Maglev consistent hashing over the payload bytes {@code KeyBytes}. */
    CHASH("chash"),
    /**
     * QUIC-LB: the server ID in each datagram's destination connection ID names the peer;
     * datagrams it cannot route go by Maglev over the client's address and port.
     */
    QUIC("quic");

    private final String configName;

    BalanceType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /** Whether the upstream keeps a Maglev table over its rotation: {@code chash}'s, {@code quic}'s fallback. */
    public boolean maglev() {
        return this != RR;
    }
}
