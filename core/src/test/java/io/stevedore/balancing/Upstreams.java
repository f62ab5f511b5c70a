package io.stevedore.balancing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builders shared by the balancing tests: loopback peers 127.0.0.2, 127.0.0.3, ... */
final class Upstreams {

    private Upstreams() {
    }

    static PeerConfig peer(int n, int weight) {
        return peer(n, weight, false);
    }

    /** The n-th loopback peer (n from 0): 127.0.0.2, 127.0.0.3, ... then 127.0.1.x, port 9000 + n % 1000. */
    static PeerConfig peer(int n, int weight, boolean backup) {
        int host = n + 2;
        String ip = "127.0." + (host >> 8) + "." + (host & 0xFF);
        return new PeerConfig(new InetSocketAddress(ip, 9000 + n % 1000), weight, backup);
    }

    static List<PeerConfig> equalPeers(int n) {
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(peer(i, 1));
        }
        return peers;
    }

    static UpstreamConfig rr(List<PeerConfig> peers) {
        return new UpstreamConfig("rr", BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(),
                peers, Optional.empty(), Affinity.PACKET, false);
    }

    static UpstreamConfig chash(KeyBytes key, int tableSize, List<PeerConfig> peers) {
        return new UpstreamConfig("kcp", BalanceType.CHASH, Optional.of(key), tableSize,
                peers, Optional.empty(), Affinity.PACKET, false);
    }

    static UpstreamConfig chash(List<PeerConfig> peers) {
        return chash(new KeyBytes(0, 4), UpstreamConfig.TABLE_SIZE.defaultValue(), peers);
    }

    /** Selects with {@code scratch} rewritten to hold just the 4-byte {@code key}. */
    static int selectKey(Selector selector, ByteBuf scratch, int key) {
        scratch.clear().writeInt(key);
        return selector.select(scratch);
    }

    static ByteBuf scratch() {
        return Unpooled.buffer(64);
    }
}
