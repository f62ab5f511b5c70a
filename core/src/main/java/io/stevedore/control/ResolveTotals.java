package io.stevedore.control;

import io.stevedore.metrics.ResolveResult;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * DNS resolutions per upstream and result over the daemon's life, written by the discovery thread
 * (and by a start or reload resolving at once), read by the admin endpoint. An upstream that stops
 * resolving keeps its counts, so the metric never goes back.
 */
public final class ResolveTotals {

    private final Map<String, AtomicLongArray> counts = new ConcurrentHashMap<>();

    void add(String upstream, ResolveResult result) {
        counts.computeIfAbsent(upstream, name -> new AtomicLongArray(ResolveResult.values().length))
                .incrementAndGet(result.ordinal());
    }

    public long count(String upstream, ResolveResult result) {
        AtomicLongArray of = counts.get(upstream);
        return of == null ? 0 : of.get(result.ordinal());
    }

    /** Every upstream that has resolved at least once, by name. */
    public Set<String> upstreams() {
        return new TreeMap<>(counts).keySet();
    }
}
