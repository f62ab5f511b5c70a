package io.stevedore.transport;

import static io.stevedore.transport.Plans.plan;
import static io.stevedore.transport.Plans.session;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.transport.TestConfig.sessionAffinity;
import static io.stevedore.transport.TestConfig.sessionLatched;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.StevedoreConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** What a session keeps across a reload that keeps it, by peer rather than by position. */
class SessionCarryOverTest {

    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.2", 4001);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.3", 4001);
    private static final InetSocketAddress C = new InetSocketAddress("127.0.0.4", 4001);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress B_ELSEWHERE = new InetSocketAddress("127.0.0.3", 4999);

    private static StevedoreConfig config(TestConfig config) {
        return config.defaultUpstream("one").build();
    }

    /** A session opened under {@code before}, and the plan a reload to {@code after} brings. */
    private record Reload(Forwarding previous, Forwarding next, Session session) {

        static Reload of(StevedoreConfig before, StevedoreConfig after) throws Exception {
            Counters counters = new Counters(before.upload().upstreams(), 1);
            Forwarding previous = plan(before, counters, null, 0);
            return new Reload(previous, plan(after, counters, previous, 0), Plans.session(previous, counters, CLIENT));
        }

        void apply() {
            SessionCarryOver.apply(session, previous, next);
        }
    }

    @Test
    void aKeptPeerFollowsItsAddressToItsNewPosition() throws Exception {
        StevedoreConfig before = config(new TestConfig().upstream(sessionAffinity(rr("one", peer(A), peer(B))))
                .upstream(sessionAffinity(rr("two", peer(C)))));
        StevedoreConfig after = config(new TestConfig().upstream(sessionAffinity(rr("two", peer(C))))
                .upstream(sessionAffinity(rr("one", peer(B)))));
        Reload reload = Reload.of(before, after);
        Session session = reload.session();
        session.keepPeer(0, 1);
        session.keepPeer(1, 0);

        reload.apply();

        assertThat(session.keptPeer(reload.next().upstreamIndex("one"))).as("B, now first of one").isZero();
        assertThat(session.keptPeer(reload.next().upstreamIndex("two"))).as("C, now in the first upstream").isZero();
    }

    @Test
    void aKeptPeerThatIsGoneOrNoLongerKeptIsChosenAgain() throws Exception {
        StevedoreConfig before = config(new TestConfig().upstream(sessionAffinity(rr("one", peer(A), peer(B))))
                .upstream(sessionAffinity(rr("two", peer(C)))));
        StevedoreConfig after = config(new TestConfig().upstream(sessionAffinity(rr("one", peer(B))))
                .upstream(rr("two", peer(C))));
        Reload reload = Reload.of(before, after);
        Session session = reload.session();
        session.keepPeer(0, 0);
        session.keepPeer(1, 0);

        reload.apply();

        assertThat(session.keptPeer(0)).as("A was reloaded away").isEqualTo(Session.NONE);
        assertThat(session.keptPeer(1)).as("two keeps no peer any more").isEqualTo(Session.NONE);
    }

    @Test
    void withoutAnUpstreamThatKeepsPeersTheSessionKeepsNone() throws Exception {
        StevedoreConfig before = config(new TestConfig().upstream(sessionAffinity(rr("one", peer(A)))));
        StevedoreConfig after = config(new TestConfig().upstream(rr("one", peer(A))));
        Reload reload = Reload.of(before, after);
        Session session = reload.session();
        session.keepPeer(0, 0);

        reload.apply();

        assertThat(session.keepsPeers()).isFalse();
    }

    @Test
    void aLatchStaysOnlyWhileItsPeerIsConfiguredWithLatch() throws Exception {
        StevedoreConfig latched = config(new TestConfig().upstream(sessionLatched(rr("one", peer(A), peer(B)))));
        StevedoreConfig stillLatched = config(new TestConfig().upstream(sessionLatched(rr("one", peer(B)))));
        StevedoreConfig unlatched = config(new TestConfig().upstream(sessionAffinity(rr("one", peer(B)))));
        Counters counters = new Counters(latched.upload().upstreams(), 1);
        Forwarding first = plan(latched, counters, null, 0);
        Forwarding second = plan(stillLatched, counters, first, 0);
        Forwarding third = plan(unlatched, counters, second, 0);
        int slotOfB = first.slot(0, 1);
        Session session = session(first, counters, CLIENT);
        session.latch(slotOfB, B_ELSEWHERE);

        SessionCarryOver.apply(session, first, second);
        assertThat(session.latched(slotOfB)).as("B still latches").isEqualTo(B_ELSEWHERE);

        SessionCarryOver.apply(session, second, third);
        assertThat(SessionCarryOver.latchSlots(third)).isZero();
        assertThat(session.latched(slotOfB)).as("no peer latches").isNull();
    }
}
