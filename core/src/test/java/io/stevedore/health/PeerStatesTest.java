package io.stevedore.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The peer-state thread: it marks suspects down, hands back to the caller, and carries down peers over a reload. */
class PeerStatesTest {

    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.2", 4001);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.3", 4001);
    private static final HealthCheckConfig CHECK =
            new HealthCheckConfig(5, 3, 1, 1, "heartbeat".getBytes(), Optional.empty());

    private static UpstreamConfig rr(String name, Optional<HealthCheckConfig> check, InetSocketAddress... peers) {
        List<PeerConfig> list = Arrays.stream(peers)
                .map(address -> new PeerConfig(address, PeerConfig.WEIGHT.defaultValue(), false)).toList();
        return new UpstreamConfig(name, BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(), list,
                check, Affinity.PACKET, false);
    }

    /** Suspects {@code peer} and waits for the hand-back, run on the caller's executor. */
    private static String suspect(PeerStates states, Upstream upstream, int peer) throws Exception {
        CompletableFuture<String> handedBack = new CompletableFuture<>();
        Executor caller = task -> new Thread(task, "caller").start();
        states.suspect(upstream, peer, "test", caller, () -> handedBack.complete(Thread.currentThread().getName()));
        return handedBack.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aSuspectIsDownWhenTheHandBackRunsOnTheCallersExecutor() throws Exception {
        try (PeerStates states = PeerStates.start(List.of(rr("pool", Optional.empty(), A, B)))) {
            Upstream pool = states.upstreams().get(0);
            assertThat(suspect(states, pool, 1)).isEqualTo("caller");
            assertThat(pool.isUp(1)).isFalse();
            assertThat(pool.isUp(0)).isTrue();
        }
    }

    @Test
    void aReloadKeepsDownTheCheckedPeersItKeepsAndGivesTheOthersAnotherChance() throws Exception {
        try (PeerStates states = PeerStates.start(List.of(rr("checked", Optional.of(CHECK), A, B),
                rr("plain", Optional.empty(), A, B)))) {
            suspect(states, states.upstreams().get(0), 1);
            suspect(states, states.upstreams().get(1), 1);

            List<Upstream> next = states.next(List.of(rr("checked", Optional.of(CHECK), B, A),
                    rr("plain", Optional.empty(), A, B)));

            assertThat(states.upstreams()).isEqualTo(next);
            Upstream checked = next.get(0);
            assertThat(checked.isUp(0)).as("B, now first, is still down: its checker brings it back").isFalse();
            assertThat(checked.isUp(1)).isTrue();
            assertThat(next.get(1).isUp(1)).as("no checker would revive it: up again").isTrue();
        }
    }

    @Test
    void aSuspectReportedAfterCloseIsStillHandedBack() throws Exception {
        PeerStates states = PeerStates.start(List.of(rr("pool", Optional.empty(), A, B)));
        Upstream pool = states.upstreams().get(0);
        states.close();
        assertThat(suspect(states, pool, 0)).isEqualTo("caller");
    }
}
