package io.stevedore.config;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One entry of {@code Upload.Upstreams}. {@code keyBytes} is present exactly when {@code type}
 * is {@link BalanceType#CHASH}; {@code tableSize} is the Maglev table size, a prime.
 * {@code proxyProtocol}: every datagram to the peers starts with a PROXY protocol v2 header naming
 * the client ({@code "ProxyProtocol": "v2"}).
 */
public record UpstreamConfig(
        String name,
        BalanceType type,
        Optional<KeyBytes> keyBytes,
        int tableSize,
        List<PeerConfig> peers,
        Optional<HealthCheckConfig> healthChecker,
        Affinity affinity,
        boolean latch,
        boolean proxyProtocol) {

    static final Keys KEYS = new Keys();
    static final String NAME = KEYS.key("Name");
    static final String TYPE = KEYS.key("Type");
    static final String KEY_BYTES = KEYS.key("KeyBytes");
    /** At most 2^24: a bound on the memory of one Maglev table (an int per entry). */
    public static final IntKey TABLE_SIZE = KEYS.integer("TableSize", 65537, 2, 1 << 24, "a prime");
    static final String PEERS = KEYS.key("Peers");
    static final String HEALTH_CHECKER = KEYS.key("HealthChecker");
    static final String AFFINITY = KEYS.key("Affinity");
    static final BoolKey LATCH = KEYS.bool("Latch", false);
    static final String PROXY_PROTOCOL = KEYS.key("ProxyProtocol");

    /**
     * What the binder guarantees for any file, checked once here so a Maglev table is always a
     * pure function of a well-formed peer set: a violation is a caller's bug, not a user's.
     *
     * @throws IllegalArgumentException naming the upstream and the broken rule
     */
    public UpstreamConfig {
        peers = List.copyOf(peers);
        if (type == BalanceType.CHASH && keyBytes.isEmpty()) {
            throw new IllegalArgumentException("upstream " + name + ": chash needs KeyBytes");
        }
        if (type == BalanceType.CHASH && !Primes.isPrime(tableSize)) {
            throw new IllegalArgumentException("upstream " + name + ": Maglev TableSize must be a prime, got " + tableSize);
        }
        Set<InetSocketAddress> addresses = new HashSet<>();
        int backups = 0;
        for (PeerConfig peer : peers) {
            if (!addresses.add(peer.address())) {
                throw new IllegalArgumentException("upstream " + name + ": duplicate peer " + peer.address());
            }
            backups += peer.backup() ? 1 : 0;
        }
        if (backups > 1) {
            throw new IllegalArgumentException("upstream " + name + ": at most one backup peer, got " + backups);
        }
    }

    /** An upstream whose peers get the client's datagrams as they are, with no PROXY header. */
    public UpstreamConfig(String name, BalanceType type, Optional<KeyBytes> keyBytes, int tableSize,
            List<PeerConfig> peers, Optional<HealthCheckConfig> healthChecker, Affinity affinity, boolean latch) {
        this(name, type, keyBytes, tableSize, peers, healthChecker, affinity, latch, false);
    }

    /** This upstream with {@code peers} instead. */
    public UpstreamConfig withPeers(List<PeerConfig> peers) {
        return new UpstreamConfig(name, type, keyBytes, tableSize, peers, healthChecker, affinity, latch, proxyProtocol);
    }
}
