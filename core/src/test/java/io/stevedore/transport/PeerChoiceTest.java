package io.stevedore.transport;

import static io.stevedore.transport.Plans.session;
import static io.stevedore.transport.TestConfig.draining;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.transport.TestConfig.sessionAffinity;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/** A loop's choice of peer: the selector's, bent by draining and by what a session keeps. */
class PeerChoiceTest {

    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.2", 4001);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.3", 4001);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final ByteBuf DATA = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});

    private final Counters counters = new Counters(List.of(rr("pool", peer(A), peer(B))), 1);

    private Forwarding plan(UpstreamConfig pool) {
        StevedoreConfig config = new TestConfig().defaultUpstream("pool").upstream(pool).build();
        return Plans.plan(config, counters, null, 0);
    }

    private static Set<Integer> choices(int times, IntSupplier choice) {
        Set<Integer> chosen = new HashSet<>();
        for (int i = 0; i < times; i++) {
            chosen.add(choice.getAsInt());
        }
        return chosen;
    }

    @Test
    void aDrainingPeerGetsNoNewClientNorASessionThatNeverSentToIt() throws Exception {
        Forwarding plan = plan(rr("pool", draining(peer(A)), peer(B)));
        PeerChoice choice = new PeerChoice(plan);
        Session session = session(plan, counters, CLIENT);

        assertThat(choices(10, () -> choice.forNewClient(0, DATA, CLIENT))).containsExactly(1);
        assertThat(choices(10, () -> choice.forSession(session, 0, DATA))).containsExactly(1);
    }

    @Test
    void aSessionThatSentToADrainingPeerStillReachesIt() throws Exception {
        Forwarding plan = plan(rr("pool", draining(peer(A)), peer(B)));
        PeerChoice choice = new PeerChoice(plan);
        Session session = session(plan, counters, CLIENT);
        session.use(plan.slot(0, 0));

        assertThat(choices(10, () -> choice.forSession(session, 0, DATA))).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void underSessionAffinityTheSessionKeepsItsFirstPeer() throws Exception {
        Forwarding plan = plan(sessionAffinity(rr("pool", peer(A), peer(B))));
        PeerChoice choice = new PeerChoice(plan);
        Session session = session(plan, counters, CLIENT);
        int first = choice.forNewClient(0, DATA, CLIENT);
        choice.opened(session, 0, first);

        assertThat(session.keptPeer(0)).isEqualTo(first);
        assertThat(choices(10, () -> choice.forSession(session, 0, DATA))).containsExactly(first);
    }

    @Test
    void perPacketTheSessionKeepsNothingAndPeersTakeTurns() throws Exception {
        Forwarding plan = plan(rr("pool", peer(A), peer(B)));
        PeerChoice choice = new PeerChoice(plan);
        Session session = session(plan, counters, CLIENT);
        choice.opened(session, 0, choice.forNewClient(0, DATA, CLIENT));

        assertThat(session.keepsPeers()).isFalse();
        assertThat(choices(10, () -> choice.forSession(session, 0, DATA))).containsExactlyInAnyOrder(0, 1);
    }
}
