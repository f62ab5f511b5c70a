package io.stevedore.cli;

import io.stevedore.config.Addresses;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.RouteConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a reload changed in {@code Upload}, in the operator's words, for the one line a reload logs:
 * the default upstream, the routes, upstreams added and removed, and within a kept upstream (same
 * name) its balancing, health check, peers added and removed, and each kept peer's weight and
 * backup flag. A pure function of the two configurations.
 */
final class ReloadChanges {

    private ReloadChanges() {
    }

    /** The changes, separated by "; ", or "Upload unchanged". */
    static String describe(UploadConfig before, UploadConfig after) {
        List<String> changes = new ArrayList<>();
        if (!Objects.equals(before.defaultUpstream(), after.defaultUpstream())) {
            changes.add("DefaultUpstream \"" + before.defaultUpstream() + "\" -> \"" + after.defaultUpstream() + "\"");
        }
        if (!sameRoutes(before.routes(), after.routes())) {
            changes.add("routes changed (" + before.routes().size() + " -> " + after.routes().size() + ")");
        }
        Map<String, UpstreamConfig> old = byName(before.upstreams());
        Map<String, UpstreamConfig> now = byName(after.upstreams());
        now.keySet().stream().filter(name -> !old.containsKey(name)).forEach(name -> changes.add("upstream +" + name));
        old.keySet().stream().filter(name -> !now.containsKey(name)).forEach(name -> changes.add("upstream -" + name));
        now.forEach((name, upstream) -> {
            UpstreamConfig was = old.get(name);
            if (was != null) {
                changes.addAll(upstream(was, upstream));
            }
        });
        return changes.isEmpty() ? "Upload unchanged" : String.join("; ", changes);
    }

    private static List<String> upstream(UpstreamConfig was, UpstreamConfig now) {
        String name = "upstream " + now.name() + ": ";
        List<String> changes = new ArrayList<>();
        if (was.type() != now.type() || !was.keyBytes().equals(now.keyBytes()) || was.tableSize() != now.tableSize()
                || !was.quicLb().equals(now.quicLb())) {
            changes.add(name + "balancing changed");
        }
        if (was.affinity() != now.affinity() || was.latch() != now.latch()) {
            changes.add(name + "Affinity or Latch changed");
        }
        if (!was.healthChecker().equals(now.healthChecker())) {
            changes.add(name + (was.healthChecker().isEmpty() ? "health check added"
                    : now.healthChecker().isEmpty() ? "health check removed" : "health check settings changed"));
        }
        Map<InetSocketAddress, PeerConfig> old = byAddress(was.peers());
        Map<InetSocketAddress, PeerConfig> peers = byAddress(now.peers());
        peers.keySet().stream().filter(a -> !old.containsKey(a)).forEach(a -> changes.add(name + "peer +" + Addresses.format(a)));
        old.keySet().stream().filter(a -> !peers.containsKey(a)).forEach(a -> changes.add(name + "peer -" + Addresses.format(a)));
        peers.forEach((address, peer) -> {
            PeerConfig before = old.get(address);
            if (before == null) {
                return;
            }
            if (before.weight() != peer.weight()) {
                changes.add(name + "peer " + Addresses.format(address) + " weight " + before.weight() + " -> " + peer.weight());
            }
            if (before.backup() != peer.backup()) {
                changes.add(name + "peer " + Addresses.format(address) + (peer.backup() ? " now the backup" : " no longer the backup"));
            }
            if (before.drain() != peer.drain()) {
                changes.add(name + "peer " + Addresses.format(address) + (peer.drain() ? " drains" : " no longer drains"));
            }
            if (!Arrays.equals(before.serverId(), peer.serverId())) {
                changes.add(name + "peer " + Addresses.format(address) + " ServerId changed");
            }
        });
        return changes;
    }

    /** Route by route, the value compared by content (a record compares arrays by identity). */
    private static boolean sameRoutes(List<RouteConfig> a, List<RouteConfig> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            RouteConfig x = a.get(i);
            RouteConfig y = b.get(i);
            if (!x.keyBytes().equals(y.keyBytes()) || x.operator() != y.operator()
                    || !Arrays.equals(x.value(), y.value()) || !Objects.equals(x.upstream(), y.upstream())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, UpstreamConfig> byName(List<UpstreamConfig> upstreams) {
        Map<String, UpstreamConfig> map = new LinkedHashMap<>();
        upstreams.forEach(u -> map.put(u.name(), u));
        return map;
    }

    private static Map<InetSocketAddress, PeerConfig> byAddress(List<PeerConfig> peers) {
        Map<InetSocketAddress, PeerConfig> map = new LinkedHashMap<>();
        peers.forEach(p -> map.put(p.address(), p));
        return map;
    }
}
