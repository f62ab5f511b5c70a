package io.stevedore.metrics;

import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data-plane counters: drops by {@link DropReason}, per-loop traffic and sessions
 * ({@link LoopCounter}), sessions closed by {@link CloseReason}, and per-peer traffic
 * ({@link PeerCounter}), each of them feeding one {@link Metric} of the catalogue. Each event loop
 * writes its own {@link LoopCounters}; readers (tests, the admin endpoint) sum the loops, so the
 * hot path never contends.
 *
 * <p>Each peer has a slot, keyed by its {@link PeerKey} (upstream name and address) and never
 * reused: a reload that keeps a peer keeps its slot and so its counts, a reload that adds one
 * appends a slot, and a peer removed and added back finds its old counts. The current layout
 * (which upstream and peer position has which slot) is what the position-based readers use.
 */
public final class Counters {

    /** Which slot each (upstream position, peer position) of one configuration has. */
    private record Layout(List<String> upstreamNames, int[][] slots) {
    }

    private final LoopCounters[] loops;
    private final Map<PeerKey, Integer> slotByKey = new HashMap<>();
    private volatile int slotCount;
    private volatile Layout layout;
    private volatile SocketDrops socketDrops = SocketDrops.NONE;

    public Counters(List<UpstreamConfig> upstreams, int loopCount) {
        if (loopCount < 1) {
            throw new IllegalArgumentException("loopCount must be at least 1, got " + loopCount);
        }
        assign(upstreams);
        loops = new LoopCounters[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = new LoopCounters(slotCount);
        }
    }

    /**
     * Makes {@code upstreams} the current layout, giving a new slot to each peer never seen
     * before. Returns the slots, indexed by upstream position then peer position. The loops must
     * {@link LoopCounters#ensurePeerSlots grow} to {@link #slotCount()} before counting for them.
     */
    public synchronized int[][] assign(List<UpstreamConfig> upstreams) {
        List<String> names = new ArrayList<>(upstreams.size());
        int[][] slots = new int[upstreams.size()][];
        int next = slotCount;
        for (int u = 0; u < upstreams.size(); u++) {
            UpstreamConfig upstream = upstreams.get(u);
            names.add(upstream.name());
            List<PeerConfig> peers = upstream.peers();
            slots[u] = new int[peers.size()];
            for (int p = 0; p < peers.size(); p++) {
                PeerKey key = new PeerKey(upstream.name(), peers.get(p).address());
                Integer slot = slotByKey.get(key);
                if (slot == null) {
                    slot = next++;
                    slotByKey.put(key, slot);
                }
                slots[u][p] = slot;
            }
        }
        slotCount = next;
        layout = new Layout(List.copyOf(names), slots);
        int[][] copy = new int[slots.length][];
        for (int u = 0; u < slots.length; u++) {
            copy[u] = slots[u].clone();
        }
        return copy;
    }

    /** The counters written by event loop {@code index}; only that loop may write them. */
    public LoopCounters loop(int index) {
        return loops[index];
    }

    public int loopCount() {
        return loops.length;
    }

    /** The upstreams of the current layout, in configuration order. */
    public List<String> upstreamNames() {
        return layout.upstreamNames();
    }

    public int peerCount(int upstream) {
        return layout.slots()[upstream].length;
    }

    /** The slot of peer {@code peer} of the upstream at position {@code upstream} in the current layout. */
    public int slot(int upstream, int peer) {
        Layout current = layout;
        int[] slots = current.slots()[upstream];
        if (peer < 0 || peer >= slots.length) {
            throw new IndexOutOfBoundsException("upstream " + current.upstreamNames().get(upstream) + " has no peer " + peer);
        }
        return slots[peer];
    }

    /** Slots handed out so far, over every layout. */
    public int slotCount() {
        return slotCount;
    }

    public long dropped(DropReason reason) {
        return switch (reason) {
            case OVERFLOW -> {
                long total = 0;
                for (int loop = 0; loop < loops.length; loop++) {
                    total += socketDrops.listeners(loop);
                }
                yield total;
            }
            case SESSION_OVERFLOW -> socketDrops.sessions();
            default -> sum(LoopCounters.reasonIndex(reason));
        };
    }

    /** Client datagrams the kernel dropped at event loop {@code loop}'s full listening sockets. */
    public long overflow(int loop) {
        return socketDrops.listeners(loop);
    }

    /** Where the drops the kernel counts ({@link DropReason#kernel()}) are read from; none until set. */
    public void socketDrops(SocketDrops drops) {
        socketDrops = drops;
    }

    /** Drops by Prometheus label, e.g. {@code dropped("no_route")}. */
    public long dropped(String reasonLabel) {
        return dropped(DropReason.ofLabel(reasonLabel));
    }

    public long loop(int loop, LoopCounter counter) {
        return loops[loop].read(LoopCounters.loopIndex(counter));
    }

    public long total(LoopCounter counter) {
        return sum(LoopCounters.loopIndex(counter));
    }

    public long loop(int loop, CloseReason reason) {
        return loops[loop].read(LoopCounters.closeIndex(reason));
    }

    /** Sessions closed for {@code reason}, over every loop. */
    public long closed(CloseReason reason) {
        return sum(LoopCounters.closeIndex(reason));
    }

    /** Live sessions: opened minus closed, over every loop. */
    public long sessions() {
        return total(LoopCounter.SESSIONS_OPENED) - total(LoopCounter.SESSIONS_CLOSED);
    }

    public long peer(int upstream, int peer, PeerCounter counter) {
        return slotTotal(slot(upstream, peer), counter);
    }

    public long peer(String upstream, int peer, PeerCounter counter) {
        Layout current = layout;
        int[] slots = current.slots()[upstreamIndex(current, upstream)];
        if (peer < 0 || peer >= slots.length) {
            throw new IndexOutOfBoundsException("upstream " + upstream + " has no peer " + peer);
        }
        return slotTotal(slots[peer], counter);
    }

    /** What was counted for the peer over its whole life, across reloads; 0 for a peer never configured. */
    public long peer(PeerKey key, PeerCounter counter) {
        Integer slot;
        synchronized (this) {
            slot = slotByKey.get(key);
        }
        return slot == null ? 0 : slotTotal(slot, counter);
    }

    public long peer(String upstream, InetSocketAddress address, PeerCounter counter) {
        return peer(new PeerKey(upstream, address), counter);
    }

    /** The sum over every peer of the upstream in the current layout. */
    public long upstream(String upstream, PeerCounter counter) {
        Layout current = layout;
        long total = 0;
        for (int slot : current.slots()[upstreamIndex(current, upstream)]) {
            total += slotTotal(slot, counter);
        }
        return total;
    }

    private long slotTotal(int slot, PeerCounter counter) {
        return sum(LoopCounters.peerIndex(slot, counter));
    }

    private static int upstreamIndex(Layout layout, String name) {
        List<String> names = layout.upstreamNames();
        int index = names.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException("no upstream \"" + name + "\"; upstreams are " + names);
        }
        return index;
    }

    private long sum(int index) {
        long total = 0;
        for (LoopCounters loop : loops) {
            total += loop.read(index);
        }
        return total;
    }
}
