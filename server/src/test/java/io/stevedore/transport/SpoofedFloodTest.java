package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.admin.AdminHttp;
import io.stevedore.admin.AdminServer;
import io.stevedore.admin.Observed;
import io.stevedore.admin.Reloads;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ProbeTotals;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.session.Session;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 13: thousands of sources, spoofed or not, sending what no backend answers, must not lock
 * real clients out at {@code MaxSessions}. Before, the cap held, but every new client was refused
 * until the flood's sessions idled out ({@code TimeoutSec}, 30 s). Now the flood's sessions, never
 * answered, evict one another, new clients evict them in turn, and the clients a backend answered
 * keep their sessions. Unprivileged: each spoofed source is an ordinary socket, on loopback
 * addresses no other source uses, so every one is a new client to the daemon.
 */
@ExtendWith(NettyLeakCheck.class)
class SpoofedFloodTest {

    private static final int MAX_SESSIONS = 200;
    private static final int EARLY_CLIENTS = 10;
    private static final int LATE_CLIENTS = 20;
    /** The flood: BATCHES × SOURCES_PER_BATCH sources, each batch's sockets open at once, then closed. */
    private static final int BATCHES = 10;
    private static final int SOURCES_PER_BATCH = 400;
    /** Loopback addresses per batch, 127.0.(100 + batch).1 and up: no (address, port) repeats across batches. */
    private static final int ADDRESSES_PER_BATCH = 8;
    /** Datagrams sent before waiting until the daemon has read them, so none is lost to a full buffer. */
    private static final int CHUNK = 100;
    /** What the backend takes for a well-formed request. */
    private static final byte[] MAGIC = "STV1".getBytes(StandardCharsets.US_ASCII);

    private static byte[] request(String text) {
        byte[] body = text.getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(MAGIC, MAGIC.length + body.length);
        System.arraycopy(body, 0, request, MAGIC.length, body.length);
        return request;
    }

    @Test
    void theFloodEvictsItselfNewClientsAreServedAndAnsweredOnesKeepTheirSessions() throws Exception {
        List<Client> clients = new ArrayList<>();
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2).answerOnly(MAGIC);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).maxSessions(MAX_SESSIONS)
                        .defaultUpstream("app").upstream(rr("app", peer(backend.address()))).build());
                AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
                        new Observed(daemon, new ProbeTotals(), new Reloads(Instant.now()), "test"))) {
            Counters counters = daemon.counters();
            List<Client> early = new ArrayList<>();
            for (int i = 0; i < EARLY_CLIENTS; i++) {
                Client client = new Client(daemon.listenAddress(), "127.0.50.1");
                clients.add(client);
                early.add(client);
                client.request(request("early " + i));
            }
            Map<InetSocketAddress, Session> answered = sessionsOf(daemon, early);
            assertThat(answered).hasSize(EARLY_CLIENTS);
            assertThat(daemon.unansweredSessions()).isZero();

            Random random = new Random(13);
            for (int batch = 0; batch < BATCHES; batch++) {
                flood(daemon, batch, random);
                // The answered clients are served all along, by the sessions they had.
                for (Client client : early) {
                    assertThat(client.request(request("during " + batch)).backend()).isEqualTo(2);
                }
            }
            int flood = BATCHES * SOURCES_PER_BATCH;
            // Once the cap was reached, each garbage source evicted an earlier one on its loop.
            long evictedByFlood = flood - (MAX_SESSIONS - EARLY_CLIENTS);
            Poll.equal("sessions evicted by the flood", evictedByFlood, () -> counters.closed(CloseReason.EVICTED));
            assertThat(counters.dropped("session_limit")).as("garbage refused at the cap").isZero();
            assertThat(daemon.sessionCount()).isEqualTo(MAX_SESSIONS);
            assertThat(daemon.unansweredSessions()).isEqualTo(MAX_SESSIONS - EARLY_CLIENTS);

            for (int i = 0; i < LATE_CLIENTS; i++) {
                Client client = new Client(daemon.listenAddress(), "127.0.51.1");
                clients.add(client);
                // Served on its first datagram: nothing is sent twice.
                assertThat(client.request(request("late " + i)).backend()).isEqualTo(2);
            }
            assertThat(counters.closed(CloseReason.EVICTED)).isEqualTo(evictedByFlood + LATE_CLIENTS);
            assertThat(counters.dropped("session_limit")).isZero();
            assertThat(daemon.sessionCount()).isEqualTo(MAX_SESSIONS);
            assertThat(daemon.unansweredSessions()).isEqualTo(MAX_SESSIONS - EARLY_CLIENTS - LATE_CLIENTS);

            assertThat(sessionsOf(daemon, early)).as("the answered clients' sessions, the very same objects")
                    .containsExactlyInAnyOrderEntriesOf(answered);
            for (Client client : early) {
                assertThat(client.request(request("after")).backend()).isEqualTo(2);
            }
            assertThat(backend.received()).isEqualTo((long) EARLY_CLIENTS * (BATCHES + 2) + flood + LATE_CLIENTS);
            for (CloseReason reason : List.of(CloseReason.IDLE, CloseReason.RELOAD, CloseReason.SHUTDOWN,
                    CloseReason.ERROR)) {
                assertThat(counters.closed(reason)).as("sessions closed as " + reason.label()).isZero();
            }

            String metrics = AdminHttp.get(admin.address(), "/metrics").body();
            assertThat(closedSamples(metrics, daemon.loops(), "evicted")).isEqualTo(evictedByFlood + LATE_CLIENTS);
            assertThat(closedSamples(metrics, daemon.loops(), "idle")).isZero();
            assertThat(AdminHttp.sample(metrics, "stevedore_sessions_unanswered"))
                    .isEqualTo(MAX_SESSIONS - EARLY_CLIENTS - LATE_CLIENTS);
            assertThat(AdminHttp.sample(metrics, "stevedore_sessions_max")).isEqualTo(MAX_SESSIONS);

            daemon.close();
            assertThat(counters.closed(CloseReason.SHUTDOWN)).isEqualTo(MAX_SESSIONS);
            assertThat(counters.total(LoopCounter.SESSIONS_CLOSED))
                    .isEqualTo(counters.total(LoopCounter.SESSIONS_OPENED));
        } finally {
            clients.forEach(Client::close);
        }
    }

    /**
     * One garbage datagram (it never starts with the magic) from each of {@link #SOURCES_PER_BATCH}
     * new sockets on this batch's addresses; returns once the daemon has read them all.
     */
    private static void flood(Daemon daemon, int batch, Random random) throws IOException {
        Counters counters = daemon.counters();
        List<DatagramChannel> sources = new ArrayList<>(SOURCES_PER_BATCH);
        try {
            for (int i = 0; i < SOURCES_PER_BATCH; i++) {
                DatagramChannel source = DatagramChannel.open();
                sources.add(source);
                source.bind(new InetSocketAddress("127.0." + (100 + batch) + "." + (1 + i % ADDRESSES_PER_BATCH), 0));
            }
            byte[] garbage = new byte[24];
            long read = counters.total(LoopCounter.RECEIVED_DATAGRAMS);
            for (int i = 0; i < SOURCES_PER_BATCH; i++) {
                random.nextBytes(garbage);
                garbage[0] = (byte) ~MAGIC[0];
                sources.get(i).send(ByteBuffer.wrap(garbage), daemon.listenAddress());
                if ((i + 1) % CHUNK == 0 || i + 1 == SOURCES_PER_BATCH) {
                    Poll.equal("garbage datagrams read by the daemon", read + i + 1,
                            () -> counters.total(LoopCounter.RECEIVED_DATAGRAMS));
                }
            }
        } finally {
            for (DatagramChannel source : sources) {
                source.close();
            }
        }
    }

    /** The live session of each client, looked up on the loop that owns it. */
    private static Map<InetSocketAddress, Session> sessionsOf(Daemon daemon, List<Client> clients) throws Exception {
        Map<InetSocketAddress, Session> found = new HashMap<>();
        for (int i = 0; i < daemon.loops(); i++) {
            Worker worker = daemon.worker(i);
            found.putAll(worker.loop.submit(() -> {
                Map<InetSocketAddress, Session> onLoop = new HashMap<>();
                for (Client client : clients) {
                    Session session = worker.sessions().get(client.localAddress());
                    if (session != null) {
                        onLoop.put(client.localAddress(), session);
                    }
                }
                return onLoop;
            }).get(5, TimeUnit.SECONDS));
        }
        return found;
    }

    /** {@code stevedore_sessions_closed_total} of {@code reason}, summed over the listeners. */
    private static double closedSamples(String metrics, int loops, String reason) {
        double total = 0;
        for (int i = 0; i < loops; i++) {
            total += AdminHttp.sample(metrics, "stevedore_sessions_closed_total{listener=\"" + i + "\",reason=\""
                    + reason + "\"}");
        }
        return total;
    }
}
