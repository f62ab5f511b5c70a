package io.stevedore.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CountersTest {

    private static UpstreamConfig upstream(String name, int peers) {
        List<PeerConfig> list = new java.util.ArrayList<>();
        for (int i = 0; i < peers; i++) {
            list.add(new PeerConfig(new InetSocketAddress("127.0.0." + (i + 2), 9), 1, false));
        }
        return new UpstreamConfig(name, BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(), list,
                Optional.empty(), Affinity.PACKET, false);
    }

    private final Counters counters = new Counters(List.of(upstream("ver1", 2), upstream("ver2", 3)), 2);

    @Test
    void peersOfAllUpstreamsGetDistinctSlots() {
        assertThat(counters.slot(0, 0)).isZero();
        assertThat(counters.slot(0, 1)).isEqualTo(1);
        assertThat(counters.slot(1, 0)).isEqualTo(2);
        assertThat(counters.slot(1, 2)).isEqualTo(4);
        assertThat(counters.slotCount()).isEqualTo(5);
        assertThatThrownBy(() -> counters.slot(0, 2)).hasMessage("upstream ver1 has no peer 2");
    }

    @Test
    void readersSumWhatEachLoopCounted() {
        counters.loop(0).forwarded(counters.slot(1, 2), 100);
        counters.loop(1).forwarded(counters.slot(1, 2), 50);
        counters.loop(1).replied(counters.slot(1, 0), 7);
        counters.loop(0).dropped(DropReason.NO_ROUTE);
        counters.loop(1).dropped(DropReason.NO_ROUTE);
        counters.loop(1).received(64);
        counters.loop(1).sendError(counters.slot(0, 1));

        assertThat(counters.peer("ver2", 2, PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(2);
        assertThat(counters.peer("ver2", 2, PeerCounter.FORWARDED_BYTES)).isEqualTo(150);
        assertThat(counters.upstream("ver2", PeerCounter.REPLIED_BYTES)).isEqualTo(7);
        assertThat(counters.upstream("ver1", PeerCounter.FORWARDED_DATAGRAMS)).isZero();
        assertThat(counters.peer("ver1", 1, PeerCounter.SEND_ERRORS)).isEqualTo(1);
        assertThat(counters.dropped("no_route")).isEqualTo(2);
        assertThat(counters.dropped(DropReason.OVERSIZE)).isZero();
        assertThat(counters.loop(0, LoopCounter.RECEIVED_DATAGRAMS)).isZero();
        assertThat(counters.loop(1, LoopCounter.RECEIVED_BYTES)).isEqualTo(64);
    }

    @Test
    void dropReasonsCarryTheirPrometheusLabels() {
        assertThat(DropReason.values()).extracting(DropReason::label).containsExactly(
                "no_route", "short_key", "oversize", "empty", "session_limit", "no_peer", "send_error", "foreign_reply",
                "backpressure", "loop", "proxy_header", "overflow", "session_overflow");
        assertThatThrownBy(() -> counters.dropped("unknown")).hasMessage("no drop reason \"unknown\"");
        assertThatThrownBy(() -> counters.upstream("ver3", PeerCounter.FORWARDED_BYTES))
                .hasMessage("no upstream \"ver3\"; upstreams are [ver1, ver2]");
    }

    @Test
    void aPeerKeepsItsSlotAndItsCountsAcrossLayouts() {
        InetSocketAddress kept = new InetSocketAddress("127.0.0.3", 9);
        counters.loop(0).forwarded(counters.slot(0, 1), 10);
        counters.loop(1).forwarded(counters.slot(0, 1), 5);
        counters.loop(1).replied(counters.slot(1, 0), 4);

        // ver1: 127.0.0.3 moves to the front and 127.0.0.9 is new; ver2 is gone.
        UpstreamConfig next = new UpstreamConfig("ver1", BalanceType.RR, Optional.empty(),
                UpstreamConfig.TABLE_SIZE.defaultValue(), List.of(new PeerConfig(kept, 1, false),
                        new PeerConfig(new InetSocketAddress("127.0.0.9", 9), 1, false)),
                Optional.empty(), Affinity.PACKET, false);
        int[][] slots = counters.assign(List.of(next));

        assertThat(slots[0]).containsExactly(1, 5);
        assertThat(counters.slotCount()).isEqualTo(6);
        assertThat(counters.upstreamNames()).containsExactly("ver1");
        assertThat(counters.peer("ver1", 0, PeerCounter.FORWARDED_BYTES)).as("by position, now first").isEqualTo(15);
        assertThat(counters.peer("ver1", 1, PeerCounter.FORWARDED_BYTES)).as("a slot no loop has grown to").isZero();

        counters.loop(0).ensurePeerSlots(counters.slotCount());
        counters.loop(0).forwarded(slots[0][1], 7);
        counters.loop(0).forwarded(slots[0][0], 1);
        assertThat(counters.peer("ver1", new InetSocketAddress("127.0.0.9", 9), PeerCounter.FORWARDED_BYTES))
                .isEqualTo(7);
        assertThat(counters.peer("ver1", kept, PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(3);
        assertThat(counters.peer("ver2", new InetSocketAddress("127.0.0.2", 9), PeerCounter.REPLIED_BYTES))
                .as("a peer no longer configured keeps what it counted").isEqualTo(4);
        assertThat(counters.peer("nowhere", kept, PeerCounter.FORWARDED_BYTES)).isZero();
    }
}
