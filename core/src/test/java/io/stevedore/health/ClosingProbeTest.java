package io.stevedore.health;

import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.downWithin;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A checker that is closing (a reload, new peers from DNS, the stop) fails the probes it still has
 * in flight for its own reasons: such a failure says nothing of the peer, whose successor probes
 * on. Here the peer refuses every probe and one failure condemns it, so a probe that concluded
 * while its loop shut down would mark it down; the control case shows that it would.
 */
class ClosingProbeTest {

    private static final HealthCheckConfig ONE_FAILURE_CONDEMNS =
            new HealthCheckConfig(1, 1, 1, 1, "ping".getBytes(US_ASCII), Optional.empty());

    private static UpstreamConfig checked(InetSocketAddress peer) {
        return new UpstreamConfig("checked", BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(),
                List.of(new PeerConfig(peer, 1, false)), Optional.of(ONE_FAILURE_CONDEMNS), Affinity.PACKET, false);
    }

    private static PeerProbe probe(PeerStates states, EventLoop loop, ProbeCounts counts) {
        Upstream upstream = states.upstreams().get(0);
        return new PeerProbe(upstream, upstream.peers().get(0), ProbeSettings.of(ONE_FAILURE_CONDEMNS, SECOND),
                counts, states, loop, NioDatagramChannel::new, Optional.empty());
    }

    private static EventLoopGroup healthLoop() {
        return new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @Test
    void aProbeThatFailsWhileItsLoopShutsDownIsNoVerdict() throws Exception {
        try (PeerStates states = PeerStates.start(List.of(checked(UdpBackend.closedPort("127.0.0.2"))))) {
            EventLoopGroup group = healthLoop();
            ProbeCounts counts = new ProbeCounts(1);
            PeerProbe probe = probe(states, group.next(), counts);
            // Shut down first, then probe, both on the loop: the refusal (or the refused socket)
            // arrives during the quiet period, when the loop still handles its sockets' events.
            group.next().execute(() -> {
                group.shutdownGracefully(300, 5_000, TimeUnit.MILLISECONDS);
                probe.start();
            });
            assertThat(group.terminationFuture().await(10, TimeUnit.SECONDS)).as("the health loop ended").isTrue();
            states.awaitHandedOver(5_000);

            assertThat(states.upstreams().get(0).isUp(0)).as("the refusing peer stays up").isTrue();
            assertThat(counts.failures(0)).as("nothing recorded against the peer").isZero();
        }
    }

    @Test
    void theSameProbeOnARunningLoopCondemnsThePeer() throws Exception {
        try (PeerStates states = PeerStates.start(List.of(checked(UdpBackend.closedPort("127.0.0.2"))))) {
            EventLoopGroup group = healthLoop();
            try {
                ProbeCounts counts = new ProbeCounts(1);
                PeerProbe probe = probe(states, group.next(), counts);
                group.next().execute(probe::start);
                Poll.until(downWithin(ONE_FAILURE_CONDEMNS), "the refused probe marked the peer down",
                        () -> !states.upstreams().get(0).isUp(0));
                assertThat(counts.failures(0)).isPositive();
            } finally {
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            }
        }
    }
}
