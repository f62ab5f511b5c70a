package io.stevedore.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricCatalogueTest {

    @Test
    void eachMetricIsNamedOnce() {
        List<String> names = Arrays.stream(Metric.values()).map(Metric::prometheusName).toList();
        assertThat(names).doesNotHaveDuplicates().allMatch(name -> name.startsWith("stevedore_"));
        assertThat(Metric.values()).allMatch(metric -> !metric.help().isBlank());
    }

    @Test
    void aLoopCounterFeedsAMetricLabelledByListener() {
        for (LoopCounter counter : LoopCounter.values()) {
            if (counter.metric() != null) {
                assertThat(counter.metric().labels()).as(counter.name()).containsExactly("listener");
            }
        }
    }

    /**
     * The exposition passes a direction exactly when the counter has one, and sums a counter with a
     * result over the upstream's peers; the labels must agree.
     */
    @Test
    void aPeerCounterHasADirectionOrAResultExactlyWhenItsMetricIsLabelledByOne() {
        for (PeerCounter counter : PeerCounter.values()) {
            List<String> expected = counter.result() != null ? List.of("upstream", "result")
                    : counter.direction() == null ? List.of("upstream", "peer")
                    : List.of("upstream", "peer", "direction");
            assertThat(counter.metric().labels()).as(counter.name()).isEqualTo(expected);
        }
    }

    @Test
    void statusKeysAreDistinctWhereTheyShareAnObject() {
        assertThat(Arrays.stream(LoopCounter.values()).map(LoopCounter::statusKey).filter(k -> k != null).toList())
                .doesNotHaveDuplicates().doesNotContain("sessions", "address", "boundAddresses");
        for (PeerCounter a : PeerCounter.values()) {
            for (PeerCounter b : PeerCounter.values()) {
                if (a != b && java.util.Objects.equals(a.direction(), b.direction())) {
                    assertThat(a.statusKey()).isNotEqualTo(b.statusKey());
                }
            }
        }
    }
}
