package io.stevedore.transport;

import io.stevedore.config.Addresses;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One live session as {@code GET /sessions} lists it: the client, the local address it writes to,
 * the peer it last sent to (upstream and address; null before its first send or when that peer
 * left the configuration) and, under {@code Affinity: session}, the peer kept per upstream, its age
 * and idle time in seconds, the traffic each way, and whether a peer has answered it.
 */
public record LiveSession(InetSocketAddress client, InetSocketAddress listener, String lastUpstream,
        InetSocketAddress lastPeer, Map<String, InetSocketAddress> keptPeers, int activeSecond, int ageSec,
        int idleSec, long datagramsIn, long bytesIn, long datagramsOut, long bytesOut, boolean answered) {

    /**
     * The peer per upstream: the one last sent to, then each kept under session affinity (a kept
     * peer wins for its upstream), in that order.
     */
    public Map<String, InetSocketAddress> peers() {
        Map<String, InetSocketAddress> peers = new java.util.LinkedHashMap<>();
        if (lastPeer != null) {
            peers.put(lastUpstream, lastPeer);
        }
        peers.putAll(keptPeers);
        return peers;
    }

    /** Where a page of {@link Daemon#sessions} ends: the next page starts after this session. */
    public String cursor() {
        return activeSecond + "/" + Addresses.format(client);
    }
}
