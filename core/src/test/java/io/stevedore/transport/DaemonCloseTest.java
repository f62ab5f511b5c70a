package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.health.PeerStates;
import io.stevedore.metrics.Counters;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The order of a stop: the owner's close step (the control plane's {@code PeerStates}) runs once
 * every loop has stopped reading and closed its sockets, and before the loops end, so what it hands
 * back to a loop (a suspect's datagram) still reaches the loop and is released there.
 */
@ExtendWith(NettyLeakCheck.class)
class DaemonCloseTest {

    @Test
    void theOwnersCloseStepRunsAfterTheLoopsStopReadingAndBeforeTheyEnd() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2)) {
            StevedoreConfig config = new TestConfig().parallel(2).defaultUpstream("echo")
                    .upstream(rr("echo", peer(backend.address()))).build();
            Counters counters = new Counters(config.upload().upstreams(),
                    Daemon.loopCount(config.server(), Transport.best()));
            AtomicReference<Daemon> started = new AtomicReference<>();
            List<String> seenByTheStep = new ArrayList<>();
            Runnable step = () -> {
                Daemon daemon = started.get();
                for (int loop = 0; loop < daemon.loops(); loop++) {
                    Worker worker = daemon.worker(loop);
                    boolean open = worker.listeners().stream().anyMatch(listener -> listener.channel.isOpen());
                    seenByTheStep.add("loop " + loop + (open ? " has an open listener" : " closed its listeners"));
                    seenByTheStep.add("loop " + loop + (runs(worker) ? " runs tasks" : " runs no task"));
                }
                seenByTheStep.add(daemon.sessionCount() + " session(s)");
            };
            try (PeerStates peerStates = PeerStates.start(config.upload().upstreams());
                    Daemon daemon = Daemon.start(Plans.plan(config, counters, null, 0), peerStates, counters,
                            Transport.best(), SessionLog.OFF, step)) {
                started.set(daemon);
                try (Client client = new Client(daemon.listenAddress())) {
                    assertThat(client.request(new byte[] {1}).backend()).isEqualTo(2);
                }
                assertThat(daemon.sessionCount()).isEqualTo(1);
                daemon.close();
                assertThat(seenByTheStep).containsExactly("loop 0 closed its listeners", "loop 0 runs tasks",
                        "loop 1 closed its listeners", "loop 1 runs tasks", "0 session(s)");
                daemon.close();
                assertThat(seenByTheStep).as("a second close runs nothing again").hasSize(5);
            }
        }
    }

    @Test
    void aDataPlaneStartedByTheControlPlaneClosesItsPeerStatesWithIt() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2)) {
            Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                    .upstream(rr("echo", peer(backend.address()))).build());
            daemon.close();
            Upstream echo = daemon.upstreams().get(0);
            AtomicBoolean handedBack = new AtomicBoolean();
            daemon.peerStates().verdict(echo, 0, false, "after the stop", Runnable::run, () -> handedBack.set(true));
            assertThat(handedBack).as("a closed PeerStates hands back at once, on the caller").isTrue();
            assertThat(echo.isUp(0)).as("and applies nothing").isTrue();
        }
    }

    private static boolean runs(Worker worker) {
        try {
            return worker.loop.submit(() -> true).get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }
}
