package io.stevedore.transport;

import static io.stevedore.testing.HandPeer.payload;
import static io.stevedore.transport.Plans.plan;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.session.Session;
import io.stevedore.testing.Client;
import io.stevedore.testing.HandPeer;
import io.stevedore.testing.NettyLeakCheck;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A peer removed by a reload is retired, not forgotten: the replies it owes still reach their
 * clients for {@code Session.TimeoutSec}, and no new datagram goes to it.
 */
@ExtendWith(NettyLeakCheck.class)
class RetiredPeerTest {

    private static final byte[] REQUEST = "request".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aReplyOwedByAPeerReloadedAwayReachesItsClient() throws Exception {
        try (HandPeer slow = new HandPeer("127.0.0.2");
                HandPeer other = new HandPeer("127.0.0.3");
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(rr("pool", peer(slow.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            client.send(REQUEST);
            DatagramPacket request = slow.receive();

            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("pool").upstream(rr("pool", peer(other.address()))).build());
            // The slow peer answers only now, after it was reloaded away.
            slow.send(new byte[] {2, 'l', 'a', 't', 'e'}, (InetSocketAddress) request.getSocketAddress());
            assertThat(client.awaitReply().payload()).isEqualTo("late".getBytes(StandardCharsets.US_ASCII));
            assertThat(daemon.counters().dropped("foreign_reply")).isZero();

            client.send(REQUEST);
            assertThat(payload(other.receive())).as("the next datagram goes to the new peer").isEqualTo(REQUEST);
            assertThat(daemon.counters().peer("pool", slow.address(), PeerCounter.REPLIED_DATAGRAMS))
                    .as("the late reply is the retired peer's").isEqualTo(1);
        }
    }

    @Test
    void aRetiredPeersRepliesAreRelayedForTimeoutSecThenForeign() {
        InetSocketAddress a = new InetSocketAddress("127.0.0.2", 4001);
        InetSocketAddress b = new InetSocketAddress("127.0.0.3", 4001);
        StevedoreConfig before = new TestConfig().timeouts(30, 10).defaultUpstream("pool")
                .upstream(rr("pool", peer(a), peer(b))).build();
        StevedoreConfig after = new TestConfig().timeouts(30, 10).defaultUpstream("pool")
                .upstream(rr("pool", peer(b))).build();
        Counters counters = new Counters(before.upload().upstreams(), 1);
        Forwarding first = plan(before, counters, null, 0);
        long reloadAt = TimeUnit.HOURS.toNanos(5);
        Forwarding second = plan(after, counters, first, reloadAt);

        int slotOfA = first.replySlot(a, Session.NONE, reloadAt);
        assertThat(second.replySlot(a, Session.NONE, reloadAt + TimeUnit.SECONDS.toNanos(29))).isEqualTo(slotOfA);
        // From another port of its IP too, as a current peer may (TFTP).
        assertThat(second.replySlot(new InetSocketAddress("127.0.0.2", 5000), Session.NONE, reloadAt + 1))
                .isEqualTo(slotOfA);
        assertThat(second.replySlot(a, Session.NONE, reloadAt + TimeUnit.SECONDS.toNanos(31)))
                .isEqualTo(Forwarding.NOT_A_PEER);
        assertThat(second.upstreamOf(slotOfA)).as("no datagram goes to it").isEqualTo(Forwarding.ABSENT);
        assertThat(second.isPeer(a)).as("still a peer to the loop guard").isTrue();

        // A third configuration keeps the retirement's first term, and forgets it once over.
        Forwarding third = plan(after, counters, second, reloadAt + TimeUnit.SECONDS.toNanos(20));
        assertThat(third.replySlot(a, Session.NONE, reloadAt + TimeUnit.SECONDS.toNanos(29))).isEqualTo(slotOfA);
        assertThat(third.replySlot(a, Session.NONE, reloadAt + TimeUnit.SECONDS.toNanos(31)))
                .isEqualTo(Forwarding.NOT_A_PEER);
        Forwarding fourth = plan(after, counters, third, reloadAt + TimeUnit.SECONDS.toNanos(40));
        assertThat(fourth.isPeer(a)).isFalse();
        assertThat(fourth.retired(reloadAt + TimeUnit.SECONDS.toNanos(40))).isEmpty();

        // A peer that comes back is current again, not retired.
        Forwarding back = plan(before, counters, second, reloadAt + 1);
        assertThat(back.upstreamOf(slotOfA)).isZero();
        assertThat(back.retired(reloadAt + 1)).isEmpty();
    }
}
