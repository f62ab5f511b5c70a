package io.stevedore.config;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A peer of an upstream: an entry of {@code Upstream.Peers}, or one that {@code Upstream.Resolve}
 * found, whose {@code origin} says where it came from ({@link #FILE}, or the record type and name).
 * A draining peer ({@code Drain}) keeps the sessions that have used it and gets no new one, so it
 * can be taken out once they have idled out. {@code serverId} is the QUIC-LB server ID of a peer of
 * a {@code quic} upstream, null for any other.
 */
public record PeerConfig(InetSocketAddress address, int weight, boolean backup, boolean drain, byte[] serverId,
        String origin) {

    /** The origin of a peer written in {@code Peers}. */
    public static final String FILE = "file";

    static final Keys KEYS = new Keys();
    static final String IP = KEYS.key("IP");
    /** Required: the binder reads it only when present, so its default is never used. */
    static final IntKey PORT = KEYS.integer("Port", 0, 1, 65535, "a port");
    public static final IntKey WEIGHT = KEYS.integer("Weight", 1, 1, 65535);
    static final BoolKey BACKUP = KEYS.bool("Backup", false);
    static final BoolKey DRAIN = KEYS.bool("Drain", false);
    static final String SERVER_ID = KEYS.key("ServerId");

    /** Smooth round robin and Maglev both divide by weight; the binder never passes less than 1. */
    public PeerConfig {
        if (weight < 1) {
            throw new IllegalArgumentException("peer " + address + ": weight must be >= 1, got " + weight);
        }
        serverId = serverId == null ? null : serverId.clone();
    }

    /** A peer written in {@code Peers}. */
    public PeerConfig(InetSocketAddress address, int weight, boolean backup, boolean drain, byte[] serverId) {
        this(address, weight, backup, drain, serverId, FILE);
    }

    /** A peer written in {@code Peers} of another type than {@code quic}. */
    public PeerConfig(InetSocketAddress address, int weight, boolean backup, boolean drain) {
        this(address, weight, backup, drain, null);
    }

    /** A peer written in {@code Peers} of another type than {@code quic} that takes new sessions. */
    public PeerConfig(InetSocketAddress address, int weight, boolean backup) {
        this(address, weight, backup, false);
    }

    @Override
    public byte[] serverId() {
        return serverId == null ? null : serverId.clone();
    }

    /** By content: two loads of one file make equal peers, which a reload compares. */
    @Override
    public boolean equals(Object other) {
        return other instanceof PeerConfig that && address.equals(that.address) && weight == that.weight
                && backup == that.backup && drain == that.drain && Arrays.equals(serverId, that.serverId)
                && origin.equals(that.origin);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, weight, backup, drain, origin) * 31 + Arrays.hashCode(serverId);
    }

    @Override
    public String toString() {
        return "PeerConfig[address=" + address + ", weight=" + weight + ", backup=" + backup + ", drain=" + drain
                + (serverId == null ? "" : ", serverId=0x" + HexFormat.of().formatHex(serverId)) + ", origin=" + origin + "]";
    }
}
