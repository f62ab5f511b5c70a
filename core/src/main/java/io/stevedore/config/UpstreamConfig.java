package io.stevedore.config;

import io.stevedore.quic.QuicLbConfig;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One entry of {@code Upload.Upstreams}. {@code keyBytes} is present exactly when {@code type}
 * is {@link BalanceType#CHASH}; {@code tableSize} is the Maglev table size, a prime;
 * {@code quicLb} holds the QUIC-LB configurations of a {@link BalanceType#QUIC} upstream (one
 * server ID length, distinct config IDs), whose peers each have a server ID of that length.
 * {@code proxyProtocol}: every datagram to the peers starts with a PROXY protocol v2 header naming
 * the client ({@code "ProxyProtocol": "v2"}). With {@code resolve}, {@code peers} are those of the
 * file until the control plane adds the ones DNS names (and may be none).
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
        boolean proxyProtocol,
        List<QuicLbConfig> quicLb,
        Optional<ResolveConfig> resolve) {

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
    static final String QUIC_LB = KEYS.key("QuicLB");
    static final String RESOLVE = KEYS.key("Resolve");

    /**
     * What the binder guarantees for any file, checked once here so a Maglev table is always a
     * pure function of a well-formed peer set: a violation is a caller's bug, not a user's.
     *
     * @throws IllegalArgumentException naming the upstream and the broken rule
     */
    public UpstreamConfig {
        peers = List.copyOf(peers);
        quicLb = List.copyOf(quicLb);
        if (type == BalanceType.CHASH && keyBytes.isEmpty()) {
            throw new IllegalArgumentException("upstream " + name + ": chash needs KeyBytes");
        }
        if (type.maglev() && !Primes.isPrime(tableSize)) {
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
        checkQuic(name, type, peers, quicLb);
    }

    private static void checkQuic(String name, BalanceType type, List<PeerConfig> peers, List<QuicLbConfig> quicLb) {
        if ((type == BalanceType.QUIC) == quicLb.isEmpty()) {
            throw new IllegalArgumentException("upstream " + name + ": QuicLB is for Type quic alone, which needs it");
        }
        Set<Integer> configIds = new HashSet<>();
        for (QuicLbConfig config : quicLb) {
            if (!configIds.add(config.configId()) || config.serverIdLength() != quicLb.get(0).serverIdLength()) {
                throw new IllegalArgumentException("upstream " + name + ": QuicLB needs distinct config IDs of one "
                        + "server ID length");
            }
        }
        Set<String> serverIds = new HashSet<>();
        for (PeerConfig peer : peers) {
            byte[] id = peer.serverId();
            boolean fits = quicLb.isEmpty() ? id == null
                    : id != null && id.length == quicLb.get(0).serverIdLength() && serverIds.add(Arrays.toString(id));
            if (!fits) {
                throw new IllegalArgumentException("upstream " + name + ": peer " + peer.address()
                        + " needs a unique server ID of the QuicLB length, and only in a quic upstream");
            }
        }
    }

    /** The server IDs' length in octets, for a {@code quic} upstream. */
    public int serverIdLength() {
        return quicLb.get(0).serverIdLength();
    }

    /** An upstream of another type than {@code quic} whose peers get the client's datagrams as they are, with no PROXY header. */
    public UpstreamConfig(String name, BalanceType type, Optional<KeyBytes> keyBytes, int tableSize,
            List<PeerConfig> peers, Optional<HealthCheckConfig> healthChecker, Affinity affinity, boolean latch) {
        this(name, type, keyBytes, tableSize, peers, healthChecker, affinity, latch, false);
    }

    /** An upstream of another type than {@code quic}. */
    public UpstreamConfig(String name, BalanceType type, Optional<KeyBytes> keyBytes, int tableSize,
            List<PeerConfig> peers, Optional<HealthCheckConfig> healthChecker, Affinity affinity, boolean latch,
            boolean proxyProtocol) {
        this(name, type, keyBytes, tableSize, peers, healthChecker, affinity, latch, proxyProtocol, List.of());
    }

    /** An upstream whose peers are all in the file. */
    public UpstreamConfig(String name, BalanceType type, Optional<KeyBytes> keyBytes, int tableSize,
            List<PeerConfig> peers, Optional<HealthCheckConfig> healthChecker, Affinity affinity, boolean latch,
            boolean proxyProtocol, List<QuicLbConfig> quicLb) {
        this(name, type, keyBytes, tableSize, peers, healthChecker, affinity, latch, proxyProtocol, quicLb,
                Optional.empty());
    }

    /** This upstream with {@code peers} instead. */
    public UpstreamConfig withPeers(List<PeerConfig> peers) {
        return new UpstreamConfig(name, type, keyBytes, tableSize, peers, healthChecker, affinity, latch, proxyProtocol,
                quicLb, resolve);
    }
}
