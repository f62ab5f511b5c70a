package io.stevedore.metrics;

import io.stevedore.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The one catalogue of data-plane counters: drops by {@link DropReason}, per-loop traffic and
 * sessions ({@link LoopCounter}), and per-peer traffic ({@link PeerCounter}). Each event loop
 * writes its own {@link LoopCounters}; readers (tests, the admin endpoint) sum the loops, so the
 * hot path never contends. Peers are addressed by upstream position and peer index, flattened to
 * a slot.
 */
public final class Counters {

    private final List<String> upstreamNames;
    private final int[] slotBase;
    private final int[] peerCounts;
    private final LoopCounters[] loops;

    public Counters(List<UpstreamConfig> upstreams, int loopCount) {
        if (loopCount < 1) {
            throw new IllegalArgumentException("loopCount must be at least 1, got " + loopCount);
        }
        List<String> names = new ArrayList<>(upstreams.size());
        slotBase = new int[upstreams.size()];
        peerCounts = new int[upstreams.size()];
        int slots = 0;
        for (int i = 0; i < upstreams.size(); i++) {
            names.add(upstreams.get(i).name());
            slotBase[i] = slots;
            peerCounts[i] = upstreams.get(i).peers().size();
            slots += peerCounts[i];
        }
        upstreamNames = List.copyOf(names);
        loops = new LoopCounters[loopCount];
        for (int i = 0; i < loopCount; i++) {
            loops[i] = new LoopCounters(slots);
        }
    }

    /** The counters written by event loop {@code index}; only that loop may write them. */
    public LoopCounters loop(int index) {
        return loops[index];
    }

    public int loopCount() {
        return loops.length;
    }

    public List<String> upstreamNames() {
        return upstreamNames;
    }

    public int peerCount(int upstream) {
        return peerCounts[upstream];
    }

    /** The flat slot of peer {@code peer} of the upstream at position {@code upstream}. */
    public int slot(int upstream, int peer) {
        if (peer < 0 || peer >= peerCounts[upstream]) {
            throw new IndexOutOfBoundsException("upstream " + upstreamNames.get(upstream) + " has no peer " + peer);
        }
        return slotBase[upstream] + peer;
    }

    public int slotCount() {
        return slotBase.length == 0 ? 0 : slotBase[slotBase.length - 1] + peerCounts[peerCounts.length - 1];
    }

    public long dropped(DropReason reason) {
        return sum(LoopCounters.reasonIndex(reason));
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

    /** Live sessions: opened minus closed, over every loop. */
    public long sessions() {
        return total(LoopCounter.SESSIONS_OPENED) - total(LoopCounter.SESSIONS_CLOSED);
    }

    public long peer(int upstream, int peer, PeerCounter counter) {
        int slot = slot(upstream, peer);
        long total = 0;
        for (LoopCounters loop : loops) {
            total += loop.read(loop.peerIndex(slot, counter));
        }
        return total;
    }

    public long peer(String upstream, int peer, PeerCounter counter) {
        return peer(upstreamIndex(upstream), peer, counter);
    }

    /** The sum over every peer of the upstream. */
    public long upstream(String upstream, PeerCounter counter) {
        int index = upstreamIndex(upstream);
        long total = 0;
        for (int peer = 0; peer < peerCounts[index]; peer++) {
            total += peer(index, peer, counter);
        }
        return total;
    }

    private int upstreamIndex(String name) {
        int index = upstreamNames.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException("no upstream \"" + name + "\"; upstreams are " + upstreamNames);
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
