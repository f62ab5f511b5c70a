package io.stevedore.metrics;

import io.stevedore.config.Addresses;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A peer as an operator names it: its upstream's name and its address. What survives a reload is
 * keyed by it (counters, health, probe results), since positions in the configuration do not.
 */
public record PeerKey(String upstream, InetSocketAddress address) {

    public PeerKey {
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(address, "address");
    }

    @Override
    public String toString() {
        return upstream + "/" + Addresses.format(address);
    }
}
