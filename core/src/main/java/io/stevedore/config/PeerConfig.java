package io.stevedore.config;

import java.net.InetSocketAddress;

/** One entry of {@code Upstream.Peers}. */
public record PeerConfig(InetSocketAddress address, int weight, boolean backup) {

    public static final int DEFAULT_WEIGHT = 1;
}
