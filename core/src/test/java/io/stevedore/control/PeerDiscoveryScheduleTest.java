package io.stevedore.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.metrics.ResolveResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a Resolve name is asked again: IntervalSec, or the TTL when shorter, with a floor. */
class PeerDiscoveryScheduleTest {

    @ParameterizedTest(name = "{0}, TTL {1} s, IntervalSec {2} -> {3} s")
    @CsvSource({
            // A good answer: the shorter of the interval and the TTL...
            "UNCHANGED, 300, 30, 30",
            "CHANGED, 12, 30, 12",
            // ...but a TTL of 0 (Consul's default) or 1 s is no query loop...
            "UNCHANGED, 0, 30, 5",
            "CHANGED, 1, 30, 5",
            // ...while an interval chosen below the floor is the operator's to choose.
            "UNCHANGED, 0, 1, 1",
            // No records at all: no TTL to obey.
            "UNCHANGED, 9223372036854775807, 30, 30",
            // An answer that kept the last good peers: soon again, within the interval.
            "FAILED, 9223372036854775807, 30, 5",
            "EMPTY, 300, 30, 5",
            "REJECTED, 300, 30, 5",
            "FAILED, 9223372036854775807, 2, 2"})
    void nextQuery(ResolveResult result, long ttl, int interval, long expected) {
        assertThat(PeerDiscovery.nextQuerySec(result, ttl, interval)).isEqualTo(expected);
    }
}
