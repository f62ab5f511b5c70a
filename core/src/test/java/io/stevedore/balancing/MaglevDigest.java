package io.stevedore.balancing;

import io.stevedore.config.PeerConfig;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * SHA-256 of a Maglev table written as the peer address of every entry, so tables built from the
 * same peers in different orders (different peer indices) compare equal. Its {@code main} prints
 * the digest of {@link #referencePeers()} on a line of its own, after whatever the logging writes,
 * for the separate-JVM determinism test.
 */
final class MaglevDigest {

    private MaglevDigest() {
    }

    /** A mixed set: IPv4 and IPv6 loopback, various ports and weights, one backup. */
    static List<PeerConfig> referencePeers() {
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            peers.add(Upstreams.peer(i, 1 + i % 4));
        }
        peers.add(new PeerConfig(new InetSocketAddress("::1", 7001), 2, false));
        peers.add(new PeerConfig(new InetSocketAddress("::1", 7002), 1, false));
        peers.add(new PeerConfig(new InetSocketAddress("127.9.9.9", 7003), 1, true));
        return peers;
    }

    static String digest(Upstream upstream) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int peer : upstream.snapshot().table) {
                InetSocketAddress a = upstream.peer(peer).address();
                sha.update(a.getAddress().getAddress());
                sha.update((byte) (a.getPort() >> 8));
                sha.update((byte) a.getPort());
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) {
        System.out.println("digest " + digest(Upstream.of(Upstreams.chash(referencePeers()))));
    }
}
