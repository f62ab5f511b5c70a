package io.stevedore.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.LoopCounter;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The table's rules with a clock the test advances; sockets are stand-in channels. */
class SessionTableTest {

    private static final long T0 = 1_000_000_000_000L;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final Counters counters = new Counters(List.of(new UpstreamConfig("u", BalanceType.RR, Optional.empty(),
            UpstreamConfig.DEFAULT_TABLE_SIZE, List.of(new PeerConfig(new InetSocketAddress("127.0.0.2", 9), 1, false)),
            Optional.empty(), Affinity.PACKET, false)), 2);

    private static InetSocketAddress client(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private SessionTable table(SessionLimit limit, int loop) {
        return new SessionTable(limit, counters.loop(loop), 30, 0, 0);
    }

    @Test
    void theSweepClosesSessionsIdleForTimeoutSecAndNoOthers() throws Exception {
        SessionTable table = table(new SessionLimit(10), 0);
        EmbeddedChannel quiet = new EmbeddedChannel();
        EmbeddedChannel busy = new EmbeddedChannel();
        Session a = table.open(client(1), T0, s -> quiet);
        Session b = table.open(client(2), T0, s -> busy);
        b.touch(T0 + 20 * SECOND);

        // Idle time counts in whole seconds and must exceed TimeoutSec: never closed early.
        assertThat(table.sweep(T0 + 30 * SECOND)).isZero();
        assertThat(table.sweep(T0 + 31 * SECOND - 1)).isZero();
        assertThat(table.sweep(T0 + 31 * SECOND)).isEqualTo(1);
        assertThat(a.isClosed()).isTrue();
        assertThat(quiet.isOpen()).isFalse();
        assertThat(table.get(client(1))).isNull();
        assertThat(table.get(client(2))).isSameAs(b);

        assertThat(table.sweep(T0 + 51 * SECOND)).isEqualTo(1);
        assertThat(busy.isOpen()).isFalse();
        assertThat(table.size()).isZero();
        assertThat(counters.sessions()).isZero();
        assertThat(counters.total(LoopCounter.SESSIONS_CLOSED)).isEqualTo(2);
    }

    @Test
    void closeIsIdempotentAndLowersTheGaugeOnce() throws Exception {
        SessionLimit limit = new SessionLimit(10);
        SessionTable table = table(limit, 0);
        Session session = table.open(client(1), T0, s -> new EmbeddedChannel());
        assertThat(counters.sessions()).isEqualTo(1);
        table.close(session);
        table.close(session);
        assertThat(counters.sessions()).isZero();
        assertThat(counters.total(LoopCounter.SESSIONS_CLOSED)).isEqualTo(1);
        assertThat(limit.live()).isZero();
    }

    @Test
    void maxSessionsHoldsAcrossLoopsAndAClosedSessionFreesItsPlace() throws Exception {
        SessionLimit limit = new SessionLimit(2);
        SessionTable first = table(limit, 0);
        SessionTable second = table(limit, 1);
        Session a = first.open(client(1), T0, s -> new EmbeddedChannel());
        assertThat(second.open(client(2), T0, s -> new EmbeddedChannel())).isNotNull();
        assertThat(second.open(client(3), T0, s -> new EmbeddedChannel())).isNull();
        assertThat(first.open(client(4), T0, s -> new EmbeddedChannel())).isNull();

        first.close(a);
        assertThat(second.open(client(3), T0, s -> new EmbeddedChannel())).isNotNull();
        assertThat(limit.live()).isEqualTo(2);
        assertThat(counters.sessions()).isEqualTo(2);
    }

    @Test
    void aSocketThatCannotBeOpenedLeavesNothingBehind() {
        SessionLimit limit = new SessionLimit(2);
        SessionTable table = table(limit, 0);
        assertThatThrownBy(() -> table.open(client(1), T0, s -> {
            throw new java.io.IOException("Too many open files");
        })).hasMessage("Too many open files");
        assertThat(limit.live()).isZero();
        assertThat(table.size()).isZero();
        assertThat(counters.sessions()).isZero();
    }

    @Test
    void affinityAndLatchStateIsKeptPerSession() throws Exception {
        SessionTable table = new SessionTable(new SessionLimit(2), counters.loop(0), 30, 2, 3);
        Session session = table.open(client(1), T0, s -> new EmbeddedChannel());
        assertThat(session.keptPeer(1)).isEqualTo(Session.NONE);
        session.keepPeer(1, 4);
        assertThat(session.keptPeer(1)).isEqualTo(4);
        assertThat(session.latched(2)).isNull();
        session.latch(2, client(69));
        assertThat(session.latched(2)).isEqualTo(client(69));
        session.latch(2, null);
        assertThat(session.latched(2)).isNull();
    }
}
