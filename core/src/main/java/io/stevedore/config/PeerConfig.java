package io.stevedore.config;

import java.net.InetSocketAddress;

/** One entry of {@code Upstream.Peers}. */
public record PeerConfig(InetSocketAddress address, int weight, boolean backup) {

    public static final int DEFAULT_WEIGHT = 1;

    /** Smooth round robin and Maglev both divide by weight; the binder never passes less than 1. */
    public PeerConfig {
        if (weight < 1) {
            throw new IllegalArgumentException("peer " + address + ": weight must be >= 1, got " + weight);
        }
    }
}
