package io.stevedore.metrics;

import java.util.Locale;

/** What one DNS resolution of an upstream's {@code Resolve} name came to: the {@code result} label of {@link Metric#RESOLVES}. */
public enum ResolveResult {
    /** Peers other than those running: applied like a reload. */
    CHANGED,
    UNCHANGED,
    /** No records, or none usable: the last good peers stay. */
    EMPTY,
    /** No answer (timeout, refused, a server error): the last good peers stay. */
    FAILED,
    /** An answer that cannot run (more peers than a chash upstream's TableSize): the last good peers stay. */
    REJECTED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
