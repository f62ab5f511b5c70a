package io.stevedore.admin;

import io.stevedore.control.ProbeTotals;
import io.stevedore.control.ResolveTotals;
import io.stevedore.transport.Daemon;

/**
 * What the admin endpoint reports, all of it read afresh on each request from the HTTP thread:
 * the data plane's own state and counters, probe results, DNS resolutions and reloads.
 */
public record Observed(Daemon daemon, ProbeTotals probes, Reloads reloads, ResolveTotals resolves, String version) {

    /** A daemon that resolves no names. */
    public Observed(Daemon daemon, ProbeTotals probes, Reloads reloads, String version) {
        this(daemon, probes, reloads, new ResolveTotals(), version);
    }
}
