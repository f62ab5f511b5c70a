package io.stevedore.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The table's rules with a clock the test advances; sockets are stand-in channels. */
class SessionTableTest {

    private static final long T0 = 1_000_000_000_000L;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final Counters counters = new Counters(List.of(new UpstreamConfig("u", BalanceType.RR, Optional.empty(),
            UpstreamConfig.TABLE_SIZE.defaultValue(), List.of(new PeerConfig(new InetSocketAddress("127.0.0.2", 9), 1, false)),
            Optional.empty(), Affinity.PACKET, false)), 2);

    private static InetSocketAddress client(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** Tasks other loops sent to loop 0 and loop 1, run when the test says. */
    private final List<List<Runnable>> queued = List.of(new ArrayList<>(), new ArrayList<>());

    private SessionTable table(SessionLimit limit, int loop) {
        return new SessionTable(limit, queued.get(loop)::add, counters.loop(loop), 30, 0, 0);
    }

    private static Session open(SessionTable table, int port, long now) throws Exception {
        Session session = table.open(client(port), now, s -> new EmbeddedChannel());
        assertThat(session).as("session of port " + port).isNotNull();
        return session;
    }

    private static Session openAnswered(SessionTable table, int port, long now) throws Exception {
        Session session = open(table, port, now);
        table.answered(session);
        return session;
    }

    private static void assertRefused(SessionTable table, int port, long now) throws Exception {
        assertThat(table.open(client(port), now, s -> new EmbeddedChannel())).as("session of port " + port).isNull();
    }

    private void runQueued(int loop) {
        List<Runnable> tasks = new ArrayList<>(queued.get(loop));
        queued.get(loop).clear();
        tasks.forEach(Runnable::run);
    }

    @Test
    void aSessionRemembersEveryPeerItUsedBeyondTheFirst64SlotsToo() {
        Session session = new Session(client(1), 0, 0, T0);
        for (int slot : new int[] {0, 63, 64, 200}) {
            assertThat(session.use(slot)).as("first use of slot %d", slot).isTrue();
            assertThat(session.use(slot)).as("second use of slot %d", slot).isFalse();
        }
        assertThat(session.used(5)).isFalse();
        assertThat(session.used(130)).isFalse();
        assertThat(session.used(200)).isTrue();
        List<Integer> used = new ArrayList<>();
        for (int slot = session.nextUsedSlot(0); slot != Session.NONE; slot = session.nextUsedSlot(slot + 1)) {
            used.add(slot);
        }
        assertThat(used).containsExactly(0, 63, 64, 200);
    }

    @Test
    void closingASessionTakesItOutOfEachPeersCount() throws Exception {
        SessionTable table = table(new SessionLimit(10), 0);
        Session session = open(table, 1, T0);
        if (session.use(0)) {
            counters.loop(0).peerSessionJoined(0);
        }
        assertThat(counters.peer(0, 0, PeerCounter.SESSIONS)).isEqualTo(1);
        table.close(session, CloseReason.IDLE);
        table.close(session, CloseReason.IDLE);
        assertThat(counters.peer(0, 0, PeerCounter.SESSIONS)).isZero();
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
        table.close(session, CloseReason.IDLE);
        table.close(session, CloseReason.ERROR);
        assertThat(counters.sessions()).isZero();
        assertThat(counters.total(LoopCounter.SESSIONS_CLOSED)).isEqualTo(1);
        assertThat(limit.live()).isZero();
    }

    @Test
    void maxSessionsHoldsAcrossLoopsAndAClosedSessionFreesItsPlace() throws Exception {
        SessionLimit limit = new SessionLimit(2);
        SessionTable first = table(limit, 0);
        SessionTable second = table(limit, 1);
        // Answered, so neither may be evicted for a newcomer.
        Session a = openAnswered(first, 1, T0);
        openAnswered(second, 2, T0);
        assertRefused(second, 3, T0);
        assertRefused(first, 4, T0);

        first.close(a, CloseReason.IDLE);
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
        SessionTable table = new SessionTable(new SessionLimit(2), Runnable::run, counters.loop(0), 30, 2, 3);
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

    @Test
    void atTheCapANewClientEvictsTheLeastRecentlyActiveUnansweredSession() throws Exception {
        SessionLimit limit = new SessionLimit(3);
        SessionTable table = table(limit, 0);
        Session a = open(table, 1, T0);
        Session b = open(table, 2, T0 + SECOND);
        Session c = open(table, 3, T0 + 2 * SECOND);
        EmbeddedChannel bSocket = (EmbeddedChannel) b.channel();
        // a was opened first but is active again: b has been quiet longest.
        table.touch(a, T0 + 3 * SECOND);
        assertThat(table.unanswered()).isEqualTo(3);

        Session d = open(table, 4, T0 + 4 * SECOND);
        assertThat(b.isClosed()).isTrue();
        assertThat(bSocket.isOpen()).as("the evicted session's socket").isFalse();
        assertThat(table.get(client(2))).isNull();
        assertThat(table.get(client(4))).isSameAs(d);
        assertThat(limit.live()).as("the newcomer took the evicted session's place").isEqualTo(3);

        // Then c (opened before d, quiet since), then a, then d: by last activity, not by age.
        table.touch(d, T0 + 5 * SECOND);
        open(table, 5, T0 + 6 * SECOND);
        assertThat(c.isClosed()).isTrue();
        open(table, 6, T0 + 6 * SECOND);
        assertThat(a.isClosed()).isTrue();
        open(table, 7, T0 + 6 * SECOND);
        assertThat(d.isClosed()).isTrue();

        assertThat(counters.closed(CloseReason.EVICTED)).isEqualTo(4);
        assertThat(counters.total(LoopCounter.SESSIONS_CLOSED)).isEqualTo(4);
        assertThat(counters.sessions()).isEqualTo(3);
        assertThat(limit.live()).isEqualTo(3);
        assertThat(table.size()).isEqualTo(3);
        assertThat(table.unanswered()).isEqualTo(3);
    }

    @Test
    void answeredSessionsAreNeverEvictedAndANewcomerIsRefusedOnlyWhenAllAre() throws Exception {
        SessionLimit limit = new SessionLimit(3);
        SessionTable table = table(limit, 0);
        Session a = open(table, 1, T0);
        Session b = open(table, 2, T0);
        Session c = open(table, 3, T0 + SECOND);
        table.answered(a);
        table.answered(b);
        table.answered(b);
        assertThat(table.unanswered()).isEqualTo(1);

        // a and b have been quiet longest, but a peer answered them: c goes, though it is the most recent.
        Session d = open(table, 4, T0 + 2 * SECOND);
        assertThat(c.isClosed()).isTrue();
        assertThat(a.isClosed()).isFalse();
        assertThat(b.isClosed()).isFalse();
        // An answered session's later traffic does not bring it back into the running.
        table.touch(a, T0 + 3 * SECOND);
        Session e = open(table, 5, T0 + 30 * SECOND);
        assertThat(d.isClosed()).isTrue();

        table.answered(e);
        assertThat(table.unanswered()).isZero();
        assertThat(table.open(client(6), T0 + 31 * SECOND, s -> {
            throw new AssertionError("no socket may be opened when every session is answered");
        })).isNull();
        assertThat(List.of(a, b, e)).noneMatch(Session::isClosed);
        assertThat(table.size()).isEqualTo(3);
        assertThat(limit.live()).isEqualTo(3);
        assertThat(counters.closed(CloseReason.EVICTED)).isEqualTo(2);
        assertThat(queued.get(0)).as("no other loop to ask").isEmpty();
    }

    @Test
    void everyWayOutIsCountedByItsReasonAndTheTotalIsTheirSum() throws Exception {
        SessionLimit limit = new SessionLimit(2);
        SessionTable table = table(limit, 0);
        open(table, 1, T0);
        assertThat(table.sweep(T0 + 31 * SECOND)).isEqualTo(1);
        open(table, 2, T0 + 31 * SECOND);
        open(table, 3, T0 + 31 * SECOND);
        open(table, 4, T0 + 31 * SECOND);
        table.closeAll(CloseReason.RELOAD);
        open(table, 5, T0 + 32 * SECOND);
        Session gone = open(table, 6, T0 + 32 * SECOND);
        table.close(gone, CloseReason.ERROR);
        table.closeAll(CloseReason.SHUTDOWN);
        table.closeAll(CloseReason.SHUTDOWN);

        assertThat(counters.closed(CloseReason.IDLE)).isEqualTo(1);
        assertThat(counters.closed(CloseReason.EVICTED)).isEqualTo(1);
        assertThat(counters.closed(CloseReason.RELOAD)).isEqualTo(2);
        assertThat(counters.closed(CloseReason.ERROR)).isEqualTo(1);
        assertThat(counters.closed(CloseReason.SHUTDOWN)).isEqualTo(1);
        assertThat(counters.loop(0, CloseReason.RELOAD)).isEqualTo(2);
        assertThat(counters.loop(1, CloseReason.RELOAD)).isZero();
        assertThat(counters.total(LoopCounter.SESSIONS_CLOSED)).isEqualTo(6);
        assertThat(counters.sessions()).isZero();
        assertThat(limit.live()).isZero();
        assertThat(table.unanswered()).isZero();
    }

    @Test
    void aLoopWithNothingToEvictRefusesAndAsksTheLoopThatHasOnceAtATime() throws Exception {
        SessionLimit limit = new SessionLimit(3);
        SessionTable first = table(limit, 0);
        SessionTable second = table(limit, 1);
        openAnswered(first, 1, T0);
        Session older = open(second, 2, T0);
        Session newer = open(second, 3, T0 + SECOND);

        assertRefused(first, 4, T0 + 2 * SECOND);
        assertRefused(first, 5, T0 + 2 * SECOND);
        assertThat(queued.get(1)).as("one request in flight, on the loop that owns the sessions").hasSize(1);
        assertThat(older.isClosed()).as("only its own loop closes a session").isFalse();
        assertThat(limit.live()).isEqualTo(3);

        runQueued(1);
        assertThat(older.isClosed()).isTrue();
        assertThat(newer.isClosed()).isFalse();
        assertThat(limit.live()).as("the place is free for the next new client").isEqualTo(2);
        Session admitted = open(first, 4, T0 + 3 * SECOND);
        assertThat(first.get(client(4))).isSameAs(admitted);
        assertThat(limit.live()).isEqualTo(3);
        assertThat(counters.loop(1, CloseReason.EVICTED)).isEqualTo(1);

        // The new session is this loop's own to evict now: nobody else is asked.
        open(first, 5, T0 + 4 * SECOND);
        assertThat(admitted.isClosed()).isTrue();
        assertThat(queued.get(1)).isEmpty();
    }

    @Test
    void aRequestThatArrivesBelowTheCapEvictsNothing() throws Exception {
        SessionLimit limit = new SessionLimit(2);
        SessionTable first = table(limit, 0);
        SessionTable second = table(limit, 1);
        Session answered = openAnswered(first, 1, T0);
        Session waiting = open(second, 2, T0);
        assertRefused(first, 3, T0);

        first.close(answered, CloseReason.IDLE);
        runQueued(1);
        assertThat(waiting.isClosed()).as("a place was already free").isFalse();
        assertThat(counters.closed(CloseReason.EVICTED)).isZero();

        // The request was answered: the next refusal may ask again.
        openAnswered(first, 3, T0);
        assertRefused(first, 4, T0);
        assertThat(queued.get(1)).hasSize(1);
    }

    @Test
    void aCapLoweredBelowTheLiveCountEvictsNothing() throws Exception {
        SessionLimit limit = new SessionLimit(3);
        SessionTable table = table(limit, 0);
        open(table, 1, T0);
        open(table, 2, T0);
        open(table, 3, T0);
        limit.setMax(2);
        assertRefused(table, 4, T0);
        assertThat(table.size()).isEqualTo(3);
        assertThat(counters.closed(CloseReason.EVICTED)).isZero();
    }

    @Test
    void aSocketThatCannotBeOpenedAfterAnEvictionFreesThePlace() throws Exception {
        SessionLimit limit = new SessionLimit(1);
        SessionTable table = table(limit, 0);
        Session victim = open(table, 1, T0);
        assertThatThrownBy(() -> table.open(client(2), T0, s -> {
            throw new java.io.IOException("Too many open files");
        })).hasMessage("Too many open files");
        assertThat(victim.isClosed()).isTrue();
        assertThat(limit.live()).isZero();
        assertThat(table.size()).isZero();
        assertThat(table.unanswered()).isZero();
        assertThat(counters.closed(CloseReason.EVICTED)).isEqualTo(1);
    }
}
