package io.stevedore.discovery;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One answer: the peers the records name, in a stable order (by address, then port), and how long
 * the answer may be kept, the smallest TTL of the records it was built from.
 */
public record ResolvedPeers(List<Peer> peers, long ttlSeconds) {

    /** A peer as DNS names it: its address and port, and its weight (SRV's, or 1). */
    public record Peer(InetSocketAddress address, int weight) {
    }

    public ResolvedPeers {
        peers = List.copyOf(peers);
    }
}
