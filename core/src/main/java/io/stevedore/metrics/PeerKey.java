package io.stevedore.metrics;

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

    /** {@code ip:port}, or {@code [ipv6]:port}: the {@code peer} label of the metrics. */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public String toString() {
        return upstream + "/" + format(address);
    }
}
