package io.stevedore.balancing;

import io.stevedore.config.Addresses;
import java.net.InetSocketAddress;
import java.util.Objects;

/** One peer of an upstream as configured; its health lives in the upstream's snapshot, not here. */
public final class Peer {

    private final int index;
    private final InetSocketAddress address;
    private final int weight;
    private final boolean backup;
    private final boolean draining;

    Peer(int index, InetSocketAddress address, int weight, boolean backup, boolean draining) {
        this.index = index;
        this.address = Objects.requireNonNull(address, "address");
        this.weight = weight;
        this.backup = backup;
        this.draining = draining;
    }

    /** Position in {@code UpstreamConfig.peers()}. */
    public int index() {
        return index;
    }

    public InetSocketAddress address() {
        return address;
    }

    public int weight() {
        return weight;
    }

    public boolean backup() {
        return backup;
    }

    /** {@code Drain}: only sessions that have used the peer still send to it. */
    public boolean draining() {
        return draining;
    }

    @Override
    public String toString() {
        return Addresses.format(address) + (backup ? " (backup)" : "") + (draining ? " (draining)" : "");
    }
}
