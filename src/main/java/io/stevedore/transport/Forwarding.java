package io.stevedore.transport;

import io.netty.channel.socket.SocketProtocolFamily;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.routing.RouteTable;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one configuration means to the data plane, computed once and shared read-only by every
 * event loop: the route table, the upstreams, and flat peer "slots" (upstream, peer) with the
 * lookups the reply path needs to name the peer that answered.
 */
final class Forwarding {

    static final int FOREIGN = -1;

    final RouteTable routes;
    final Upstream[] upstreams;
    final int bufSize;
    final int maxTryTimes;
    final boolean[] sessionAffinity;
    final boolean anyAffinity;
    final boolean anyLatch;
    final SocketProtocolFamily sessionFamily;
    final InetSocketAddress sessionBindAddress;

    private final int[] slotBase;
    private final InetSocketAddress[] slotAddress;
    private final boolean[] slotLatch;
    private final Map<InetSocketAddress, Integer> slotByAddress = new HashMap<>();
    private final Map<InetAddress, int[]> slotsByIp;

    Forwarding(StevedoreConfig config, List<Upstream> upstreamList) {
        routes = RouteTable.compile(config.upload());
        upstreams = upstreamList.toArray(new Upstream[0]);
        bufSize = config.server().bufSize();
        maxTryTimes = Math.max(1, config.server().maxTryTimes());

        sessionAffinity = new boolean[upstreams.length];
        slotBase = new int[upstreams.length];
        List<InetSocketAddress> addresses = new ArrayList<>();
        List<Boolean> latches = new ArrayList<>();
        Map<InetAddress, List<Integer>> byIp = new LinkedHashMap<>();
        boolean affinity = false;
        boolean latch = false;
        boolean ipv6 = false;
        for (int u = 0; u < upstreams.length; u++) {
            Upstream upstream = upstreams[u];
            sessionAffinity[u] = upstream.config().affinity() == Affinity.SESSION;
            affinity |= sessionAffinity[u];
            latch |= upstream.config().latch();
            slotBase[u] = addresses.size();
            for (Peer peer : upstream.peers()) {
                int slot = slotBase[u] + peer.index();
                InetSocketAddress address = peer.address();
                while (addresses.size() <= slot) {
                    addresses.add(null);
                    latches.add(false);
                }
                addresses.set(slot, address);
                latches.set(slot, upstream.config().latch());
                slotByAddress.putIfAbsent(address, slot);
                byIp.computeIfAbsent(address.getAddress(), ip -> new ArrayList<>()).add(slot);
                ipv6 |= address.getAddress() instanceof Inet6Address;
            }
        }
        anyAffinity = affinity;
        anyLatch = latch;
        slotAddress = addresses.toArray(new InetSocketAddress[0]);
        slotLatch = new boolean[latches.size()];
        for (int i = 0; i < slotLatch.length; i++) {
            slotLatch[i] = latches.get(i);
        }
        slotsByIp = new HashMap<>();
        byIp.forEach((ip, slots) -> slotsByIp.put(ip, slots.stream().mapToInt(Integer::intValue).toArray()));

        // An IPv6 socket also reaches IPv4 peers (as mapped addresses); an IPv4 one cannot reach IPv6.
        sessionFamily = ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        sessionBindAddress = new InetSocketAddress(wildcard(ipv6), 0);
    }

    private static InetAddress wildcard(boolean ipv6) {
        try {
            return ipv6 ? InetAddress.getByName("::") : Inet4Address.getByName("0.0.0.0");
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("wildcard address", e);
        }
    }

    int slot(int upstream, int peer) {
        return slotBase[upstream] + peer;
    }

    int slotCount() {
        return slotAddress.length;
    }

    InetSocketAddress address(int slot) {
        return slotAddress[slot];
    }

    boolean latch(int slot) {
        return slotLatch[slot];
    }

    /**
     * The slot of the peer that sent a reply from {@code source}: its configured address, else a
     * peer with the same IP (a server answering from a new port), preferring the one the session
     * last sent to. {@link #FOREIGN} when the source IP is no peer's.
     */
    int replySlot(InetSocketAddress source, int lastSlot) {
        Integer exact = slotByAddress.get(source);
        if (exact != null) {
            return exact;
        }
        int[] slots = slotsByIp.get(source.getAddress());
        if (slots == null) {
            return FOREIGN;
        }
        for (int slot : slots) {
            if (slot == lastSlot) {
                return slot;
            }
        }
        return slots[0];
    }
}
