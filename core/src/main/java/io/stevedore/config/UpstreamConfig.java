package io.stevedore.config;

import java.util.List;
import java.util.Optional;

/**
 * One entry of {@code Upload.Upstreams}. {@code keyBytes} is present exactly when {@code type}
 * is {@link BalanceType#CHASH}; {@code tableSize} is the Maglev table size, a prime.
 */
public record UpstreamConfig(
        String name,
        BalanceType type,
        Optional<KeyBytes> keyBytes,
        int tableSize,
        List<PeerConfig> peers,
        Optional<HealthCheckConfig> healthChecker,
        Affinity affinity,
        boolean latch) {

    public static final int DEFAULT_TABLE_SIZE = 65537;

    public UpstreamConfig {
        peers = List.copyOf(peers);
    }
}
