package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.backup;
import static io.stevedore.transport.TestConfig.chash;
import static io.stevedore.transport.TestConfig.draining;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.peerIndex;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.transport.TestConfig.sessionAffinity;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * {@code "Drain": true} applied by a reload: the sessions that used the peer keep it, no other
 * session reaches it, whatever the balancing; the peer's live sessions are counted, and the log
 * says when none is left.
 */
@ExtendWith(NettyLeakCheck.class)
class DrainTest {

    private static final int NEW_CLIENTS = 8;

    @Test
    void roundRobinKeepsTheDrainingPeerForTheSessionsThatUsedItAndNoOther() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                ControlPlane plane = ControlPlane.start(pool(rr("pool", peer(a.address()), peer(b.address()))));
                Client old = new Client(plane.daemon().listenAddress())) {
            assertThat(backends(old, 4)).as("round robin, before the reload").contains(2, 3);
            plane.reload(pool(rr("pool", draining(peer(a.address())), peer(b.address()))));

            assertThat(backends(old, 6)).as("the session that used 127.0.0.2 still reaches it in its turn")
                    .contains(2, 3);
            long before = a.received();
            for (int i = 0; i < NEW_CLIENTS; i++) {
                try (Client client = new Client(plane.daemon().listenAddress())) {
                    assertThat(backends(client, 3)).as("new session %d", i).containsOnly(3);
                }
            }
            assertThat(a.received()).as("datagrams of new sessions at the draining peer").isEqualTo(before);
            assertThat(sessions(plane, a)).as("live sessions of the draining peer").isEqualTo(1);
            assertThat(sessions(plane, b)).isEqualTo(1 + NEW_CLIENTS);
        }
    }

    @Test
    void chashKeepsEveryKeyOfAnOldSessionAndMovesOnlyTheDrainingPeersKeysOfNewOnes() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                EchoBackend c = EchoBackend.start("127.0.0.4", 4);
                ControlPlane plane = ControlPlane.start(pool(chash("pool", 0, 4, peer(a.address()), peer(b.address()),
                        peer(c.address()))));
                Client old = new Client(plane.daemon().listenAddress())) {
            Map<Integer, Integer> before = new HashMap<>();
            for (int conv = 0; conv < 30; conv++) {
                before.put(conv, old.request(conversation(conv)).backend());
            }
            assertThat(before).containsValue(2);
            plane.reload(pool(chash("pool", 0, 4, draining(peer(a.address())), peer(b.address()),
                    peer(c.address()))));

            for (int conv = 0; conv < 30; conv++) {
                assertThat(old.request(conversation(conv)).backend()).as("conversation %d of the old session", conv)
                        .isEqualTo(before.get(conv));
            }
            long drained = a.received();
            try (Client fresh = new Client(plane.daemon().listenAddress())) {
                for (int conv = 0; conv < 30; conv++) {
                    int backend = fresh.request(conversation(conv)).backend();
                    if (before.get(conv) == 2) {
                        assertThat(backend).as("conversation %d, on the draining peer before", conv).isIn(3, 4);
                    } else {
                        assertThat(backend).as("conversation %d keeps its peer", conv).isEqualTo(before.get(conv));
                    }
                }
            }
            assertThat(a.received()).isEqualTo(drained);
            assertThat(sessions(plane, a)).isEqualTo(1);
        }
    }

    @Test
    void sessionAffinityKeepsAKeptDrainingPeerAndGivesNewSessionsTheOthers() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                ControlPlane plane = ControlPlane.start(pool(sessionAffinity(rr("pool", peer(a.address()),
                        peer(b.address())))));
                Client old = new Client(plane.daemon().listenAddress())) {
            int kept = old.request(new byte[] {0}).backend();
            EchoBackend keptPeer = kept == 2 ? a : b;
            EchoBackend other = kept == 2 ? b : a;
            plane.reload(pool(sessionAffinity(rr("pool", drainingIf(a, keptPeer), drainingIf(b, keptPeer)))));

            assertThat(backends(old, 5)).as("the old session's kept peer").containsOnly(kept);
            for (int i = 0; i < NEW_CLIENTS; i++) {
                try (Client client = new Client(plane.daemon().listenAddress())) {
                    assertThat(backends(client, 2)).as("new session %d", i).containsOnly(other.id());
                }
            }
            assertThat(sessions(plane, keptPeer)).isEqualTo(1);
        }
    }

    @Test
    void aDrainingBackupServesOnlyItsOwnSessionsAndNewOnesAreDroppedWithoutAPrimary() throws Exception {
        try (EchoBackend primary = EchoBackend.start("127.0.0.2", 2);
                EchoBackend spare = EchoBackend.start("127.0.0.3", 3);
                ControlPlane plane = ControlPlane.start(pool(rr("pool", peer(primary.address()),
                        backup(spare.address()))));
                Client old = new Client(plane.daemon().listenAddress())) {
            markDown(plane, primary);
            assertThat(backends(old, 2)).as("every primary down").containsOnly(3);
            plane.reload(pool(rr("pool", peer(primary.address()), draining(backup(spare.address())))));
            // Without a health check a reload brings every peer up again.
            markDown(plane, primary);

            assertThat(backends(old, 3)).as("the old session stays on the draining backup").containsOnly(3);
            long before = spare.received();
            try (Client fresh = new Client(plane.daemon().listenAddress())) {
                fresh.send(new byte[] {1});
                Poll.equal("no_peer drops", 1, () -> plane.daemon().counters().dropped("no_peer"));
                assertThat(fresh.receive(100)).isNull();
            }
            assertThat(spare.received()).isEqualTo(before);
            plane.daemon().upstreams().get(0).setPeerUp(0, true, "test");
            try (Client fresh = new Client(plane.daemon().listenAddress())) {
                assertThat(backends(fresh, 2)).as("a primary is back").containsOnly(2);
            }
        }
    }

    @Test
    void theLogSaysWhenTheDrainingPeerHasNoSessionLeft() throws Exception {
        try (DrainLog log = new DrainLog();
                EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                ControlPlane plane = ControlPlane.start(new TestConfig().timeouts(2, 1).defaultUpstream("pool")
                        .upstream(sessionAffinity(rr("pool", peer(a.address()), peer(b.address())))).build());
                Client first = new Client(plane.daemon().listenAddress());
                Client second = new Client(plane.daemon().listenAddress())) {
            first.request(new byte[] {0});
            second.request(new byte[] {0});
            assertThat(sessions(plane, a)).as("one session each").isEqualTo(1);
            StevedoreConfig drainA = new TestConfig().timeouts(2, 1).defaultUpstream("pool")
                    .upstream(sessionAffinity(rr("pool", draining(peer(a.address())), peer(b.address())))).build();
            plane.reload(drainA);
            plane.reload(drainA);

            assertThat(log.lines()).as("once, though reloaded twice").filteredOn(line -> line.contains(
                    "peer 127.0.0.2:" + a.address().getPort() + " drains: 1 live session(s)")).hasSize(1);
            assertThat(log.lines()).noneMatch(line -> line.contains("has drained"));
            Poll.until(Duration.ofSeconds(10), "the drained line", () -> log.lines().stream()
                    .anyMatch(line -> line.contains("has drained") && line.contains("127.0.0.2")));
            assertThat(sessions(plane, a)).isZero();
            assertThat(log.lines()).filteredOn(line -> line.contains("has drained")).hasSize(1);
        }
    }

    private static StevedoreConfig pool(UpstreamConfig upstream) {
        return new TestConfig().defaultUpstream("pool").upstream(upstream).build();
    }

    private static PeerConfig drainingIf(EchoBackend backend, EchoBackend drains) {
        return backend == drains ? draining(peer(backend.address())) : peer(backend.address());
    }

    private static byte[] conversation(int conv) {
        return ByteBuffer.allocate(24).putInt(conv).array();
    }

    /** The backends that answered {@code count} requests of {@code client}, in order. */
    private static List<Integer> backends(Client client, int count) throws Exception {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(client.request(new byte[] {(byte) i}).backend());
        }
        return ids;
    }

    private static long sessions(ControlPlane plane, EchoBackend backend) {
        return plane.daemon().counters().peer("pool", backend.address(), PeerCounter.SESSIONS);
    }

    private static void markDown(ControlPlane plane, EchoBackend backend) {
        Upstream pool = plane.daemon().upstreams().get(0);
        pool.setPeerUp(peerIndex(pool, backend), false, "test");
    }

    /** The lines of the drain watch while a test runs. */
    private static final class DrainLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

        private final Logger logger = (Logger) LoggerFactory.getLogger("io.stevedore.control.DrainWatch");
        private final List<String> lines = new CopyOnWriteArrayList<>();

        DrainLog() {
            start();
            logger.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent event) {
            lines.add(event.getFormattedMessage());
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            stop();
        }
    }
}
