package io.stevedore.transport;

import io.netty.channel.socket.SocketProtocolFamily;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.routing.RouteTable;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The forwarding plan: what one configuration means to the data plane, compiled once by the control
 * plane and shared read-only by every event loop: the route table, the upstreams, and the peer
 * "slots" with the lookups the reply path needs to name the peer that answered. A reload compiles
 * a new one, which {@link Daemon#apply} hands to every loop. Immutable once built.
 *
 * <p>A slot names one peer of one upstream (its {@code metrics.PeerKey}) for the daemon's whole
 * life: the counters count by it, and sessions remember latches and the last peer by it, so a
 * reload that keeps a peer keeps its slot and what sessions know about it. Slots of peers that
 * are not in this configuration have no address here.
 *
 * <p>A peer that a reload removed is <em>retired</em>, not forgotten: for {@code Session.TimeoutSec}
 * after the reload its replies are still relayed (the datagrams sent to it before the reload are
 * owed an answer), though no new datagram goes to it.
 */
public final class Forwarding {

    /** The position of an upstream or peer that this configuration lacks (see {@link #upstreamOf}). */
    static final int ABSENT = -1;
    /** What {@link #replySlot} says of a source that is no peer's, current or retired; never a slot. */
    static final int NOT_A_PEER = -2;

    private final StevedoreConfig config;
    final RouteTable routes;
    final Upstream[] upstreams;
    final int bufSize;
    final int maxTryTimes;
    final boolean[] sessionAffinity;
    /** Per upstream: whether its peers get a PROXY protocol v2 header before each datagram. */
    final boolean[] proxyProtocol;
    /** Sources whose datagrams carry a PROXY header naming the real client ({@code Server.ProxyProtocolFrom}). */
    final TrustedSources proxySources;
    /** {@code quic} upstreams: route by connection ID, and keep each session's fallback peer. */
    final boolean[] quic;
    /**
     * Upstreams whose peer a session remembers: under {@code Affinity: session}, and the fallback
     * peer of a {@code quic} upstream. Sessions keep a peer per upstream position when any does.
     */
    final boolean[] keepsPeer;
    final boolean anyKeptPeer;
    final boolean anyLatch;
    final SocketProtocolFamily sessionFamily;
    /** {@code Session.SourceAddrs} with port 0, for new session sockets to bind to in turn; empty: the wildcard. */
    final InetSocketAddress[] sourceAddrs;
    /** {@code Session.RecvBufBytes}: SO_RCVBUF of new session sockets. */
    final int sessionRecvBufBytes;

    private final int[][] slots;
    private final int slotCount;
    private final InetSocketAddress[] slotAddress;
    private final boolean[] slotLatch;
    private final int[] slotUpstream;
    private final int[] slotPeer;
    private final Map<InetSocketAddress, Integer> slotByAddress = new HashMap<>();
    private final Map<InetAddress, int[]> slotsByIp;
    /** Ports of the peers, current and retired, a bit each: most client datagrams are cleared by one read. */
    private final long[] peerPorts = new long[65536 / 64];
    /** Retired peers by slot: their address, and the clock reading until which their replies are relayed. */
    private final InetSocketAddress[] retiredAddress;
    private final long[] retiredUntil;
    private final Map<InetSocketAddress, Integer> retiredByAddress = new HashMap<>();
    private final Map<InetAddress, Integer> retiredByIp = new HashMap<>();

    /**
     * The plan of {@code config}. When it replaces {@code previous} (a reload) at {@code nowNanos},
     * the peers of {@code previous} that it lacks, and those {@code previous} still had retired, are
     * retired here until {@code Session.TimeoutSec} from now, or their earlier term if shorter.
     *
     * @param upstreamList the upstreams of {@code config}, in its order, whose health the loops read
     * @param slots the slot of each peer, by upstream position then peer position
     *     ({@code metrics.Counters.assign})
     * @param slotCount slots handed out so far; every slot in {@code slots} is below it
     * @param previous the plan this one replaces; null at start
     */
    public Forwarding(StevedoreConfig config, List<Upstream> upstreamList, int[][] slots, int slotCount,
            Forwarding previous, long nowNanos) {
        this.config = config;
        routes = RouteTable.compile(config.upload());
        upstreams = upstreamList.toArray(new Upstream[0]);
        bufSize = config.server().bufSize();
        maxTryTimes = config.server().maxTryTimes();
        this.slots = slots;
        this.slotCount = slotCount;

        sessionAffinity = new boolean[upstreams.length];
        proxyProtocol = new boolean[upstreams.length];
        proxySources = config.server().proxyProtocolFrom().isEmpty() ? TrustedSources.NONE
                : new TrustedSources(config.server().proxyProtocolFrom());
        quic = new boolean[upstreams.length];
        keepsPeer = new boolean[upstreams.length];
        slotAddress = new InetSocketAddress[slotCount];
        slotLatch = new boolean[slotCount];
        slotUpstream = new int[slotCount];
        slotPeer = new int[slotCount];
        Arrays.fill(slotUpstream, ABSENT);
        Arrays.fill(slotPeer, ABSENT);
        Map<InetAddress, List<Integer>> byIp = new LinkedHashMap<>();
        boolean kept = false;
        boolean latch = false;
        boolean ipv6 = false;
        for (int u = 0; u < upstreams.length; u++) {
            Upstream upstream = upstreams[u];
            sessionAffinity[u] = upstream.config().affinity() == Affinity.SESSION;
            proxyProtocol[u] = upstream.config().proxyProtocol();
            quic[u] = upstream.config().type() == BalanceType.QUIC;
            keepsPeer[u] = sessionAffinity[u] || quic[u];
            kept |= keepsPeer[u];
            latch |= upstream.config().latch();
            for (Peer peer : upstream.peers()) {
                int slot = slots[u][peer.index()];
                InetSocketAddress address = peer.address();
                slotAddress[slot] = address;
                slotLatch[slot] = upstream.config().latch();
                slotUpstream[slot] = u;
                slotPeer[slot] = peer.index();
                slotByAddress.putIfAbsent(address, slot);
                byIp.computeIfAbsent(address.getAddress(), ip -> new ArrayList<>()).add(slot);
                ipv6 |= address.getAddress() instanceof Inet6Address;
            }
        }
        anyKeptPeer = kept;
        anyLatch = latch;
        slotsByIp = new HashMap<>();
        byIp.forEach((ip, list) -> slotsByIp.put(ip, list.stream().mapToInt(Integer::intValue).toArray()));

        // An IPv6 socket also reaches IPv4 peers (as mapped addresses); an IPv4 one cannot reach IPv6.
        sessionFamily = ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        // The config binder made them of the peers' family, so of sessionFamily.
        sourceAddrs = config.session().sourceAddrs().stream()
                .map(ip -> new InetSocketAddress(ip, 0)).toArray(InetSocketAddress[]::new);
        sessionRecvBufBytes = config.session().recvBufBytes();

        retiredAddress = new InetSocketAddress[slotCount];
        retiredUntil = new long[slotCount];
        if (previous != null) {
            long until = nowNanos + TimeUnit.SECONDS.toNanos(config.session().timeoutSec());
            for (int slot = 0; slot < previous.slotCount; slot++) {
                if (has(slot)) {
                    continue;
                }
                if (previous.has(slot)) {
                    retire(slot, previous.address(slot), until);
                } else if (previous.retiredAddress[slot] != null && previous.retiredUntil[slot] - nowNanos > 0) {
                    retire(slot, previous.retiredAddress[slot], Math.min(until, previous.retiredUntil[slot]));
                }
            }
        }
        for (InetSocketAddress address : slotByAddress.keySet()) {
            markPeerPort(address.getPort());
        }
    }

    /**
     * The configuration this plan was compiled from; its listening settings are those the data plane
     * runs (see {@link Daemon#apply}).
     */
    public StevedoreConfig config() {
        return config;
    }

    private void retire(int slot, InetSocketAddress address, long until) {
        retiredAddress[slot] = address;
        retiredUntil[slot] = until;
        retiredByAddress.putIfAbsent(address, slot);
        retiredByIp.putIfAbsent(address.getAddress(), slot);
        markPeerPort(address.getPort());
    }

    private void markPeerPort(int port) {
        peerPorts[port >>> 6] |= 1L << port;
    }

    /** Whether some peer, current or retired, has port {@code port}: the cheap first half of {@link #isPeer}. */
    boolean isPeerPort(int port) {
        return (peerPorts[port >>> 6] & 1L << port) != 0;
    }

    /** Whether {@code address} is a peer's, current or retired. */
    boolean isPeer(InetSocketAddress address) {
        return slotByAddress.containsKey(address) || retiredByAddress.containsKey(address);
    }

    /** The peers retired by the reloads up to this configuration and still awaited at {@code nowNanos}. */
    List<InetSocketAddress> retired(long nowNanos) {
        List<InetSocketAddress> awaited = new ArrayList<>();
        for (int slot = 0; slot < slotCount; slot++) {
            if (retiredAddress[slot] != null && retiredUntil[slot] - nowNanos > 0) {
                awaited.add(retiredAddress[slot]);
            }
        }
        return awaited;
    }

    int slot(int upstream, int peer) {
        return slots[upstream][peer];
    }

    /** Slots handed out up to this configuration: the room a session's latches need. */
    int slotCount() {
        return slotCount;
    }

    InetSocketAddress address(int slot) {
        return slotAddress[slot];
    }

    boolean latch(int slot) {
        return slotLatch[slot];
    }

    /** Whether the peer of {@code slot} is in this configuration. */
    boolean has(int slot) {
        return slot >= 0 && slot < slotCount && slotAddress[slot] != null;
    }

    /** The position of the upstream the peer of {@code slot} belongs to, or {@link #ABSENT} if it is not here. */
    int upstreamOf(int slot) {
        return has(slot) ? slotUpstream[slot] : ABSENT;
    }

    /** The position of the peer of {@code slot} in its upstream, or {@link #ABSENT} if it is not here. */
    int peerOf(int slot) {
        return has(slot) ? slotPeer[slot] : ABSENT;
    }

    /** The position of the upstream named {@code name}, or {@link #ABSENT}. */
    int upstreamIndex(String name) {
        for (int u = 0; u < upstreams.length; u++) {
            if (upstreams[u].name().equals(name)) {
                return u;
            }
        }
        return ABSENT;
    }

    /**
     * The slot of the peer that sent a reply from {@code source}: its configured address, else a
     * peer with the same IP (a server answering from a new port), preferring the one the session
     * last sent to; else, likewise, a peer retired by a reload whose replies are still awaited at
     * {@code nowNanos}. {@link #NOT_A_PEER} when the source IP is no peer's.
     */
    int replySlot(InetSocketAddress source, int lastSlot, long nowNanos) {
        // Most replies come from the peer just sent to; this also credits a peer listed in two
        // upstreams to the one the session used, which the address map (first wins) cannot.
        if (has(lastSlot) && slotAddress[lastSlot].equals(source)) {
            return lastSlot;
        }
        Integer exact = slotByAddress.get(source);
        if (exact != null) {
            return exact;
        }
        if (!retiredByAddress.isEmpty()) {
            Integer retired = retiredByAddress.get(source);
            if (retired != null && retiredUntil[retired] - nowNanos > 0) {
                return retired;
            }
        }
        int[] candidates = slotsByIp.get(source.getAddress());
        if (candidates == null) {
            return retiredByIp(source, nowNanos);
        }
        for (int slot : candidates) {
            if (slot == lastSlot) {
                return slot;
            }
        }
        return candidates[0];
    }

    /** A retired peer answering from another port, as {@link #replySlot} allows a current one. */
    private int retiredByIp(InetSocketAddress source, long nowNanos) {
        if (retiredByIp.isEmpty()) {
            return NOT_A_PEER;
        }
        Integer slot = retiredByIp.get(source.getAddress());
        return slot != null && retiredUntil[slot] - nowNanos > 0 ? slot : NOT_A_PEER;
    }
}
