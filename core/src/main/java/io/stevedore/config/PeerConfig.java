package io.stevedore.config;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One entry of {@code Upstream.Peers}. A draining peer ({@code Drain}) keeps the sessions that
 * have used it and gets no new one, so it can be taken out once they have idled out.
 * {@code serverId} is the QUIC-LB server ID of a peer of a {@code quic} upstream, null for any other.
 */
public record PeerConfig(InetSocketAddress address, int weight, boolean backup, boolean drain, byte[] serverId) {

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

    /** A peer of another type than {@code quic}. */
    public PeerConfig(InetSocketAddress address, int weight, boolean backup, boolean drain) {
        this(address, weight, backup, drain, null);
    }

    /** A peer that takes new sessions. */
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
                && backup == that.backup && drain == that.drain && Arrays.equals(serverId, that.serverId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, weight, backup, drain) * 31 + Arrays.hashCode(serverId);
    }

    @Override
    public String toString() {
        return "PeerConfig[address=" + address + ", weight=" + weight + ", backup=" + backup + ", drain=" + drain
                + (serverId == null ? "" : ", serverId=0x" + HexFormat.of().formatHex(serverId)) + "]";
    }
}
