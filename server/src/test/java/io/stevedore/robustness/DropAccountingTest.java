package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.robustness.ReferenceRoutes.Outcome;
import io.stevedore.robustness.ReferenceRoutes.Rule;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random datagrams while things go wrong at the same time: a full session table, a peer the kernel
 * refuses to send to, an upstream whose only peer is down, a hash key longer than some datagrams.
 * Every datagram the daemon read is either forwarded or counted under exactly one reason, the
 * reasons the SPEC fixes by content come out exactly as its reference says, and no more sessions
 * are open than {@code MaxSessions}.
 */
@ExtendWith(NettyLeakCheck.class)
class DropAccountingTest {

    private static final int BUF_SIZE = 512;
    private static final int MAX_SESSIONS = 8;
    private static final int DATAGRAMS = 5000;
    private static final int CLIENTS = 24;
    /** The loopback broadcast address: without SO_BROADCAST every send there fails at once (EACCES). */
    private static final String UNSENDABLE = "127.255.255.255";

    private static final List<Rule> RULES = List.of(
            new Rule("0:1", "<", "0x40", "flaky"),
            new Rule("0:1", "<", "0x80", "dark"),
            new Rule("0:1", "<", "0xc0", "keyed"));

    private static final ReferenceRoutes MODEL = new ReferenceRoutes(BUF_SIZE, RULES, "deny",
            Map.of("flaky", 0, "dark", 0, "keyed", 4));

    @Test
    void everyDatagramIsForwardedOrCountedOnceWhileEverythingFails() throws Exception {
        Random random = new Random(6061L);
        List<RecordingBackend> peers = new ArrayList<>();
        List<DatagramChannel> clients = new ArrayList<>();
        Daemon daemon = null;
        try {
            for (int i = 0; i < 3; i++) {
                // A short answer to everything: answered sessions are never evicted, so the cap
                // refuses new clients once those fill it. (Echoes of BufSize-long datagrams would
                // come back too long and be dropped as oversize, which the reference does not count.)
                peers.add(RecordingBackend.start("127.0.0." + (2 + i), 2 + i)
                        .answering(request -> new RecordingBackend.Answer(new byte[] {1}, false)));
            }
            daemon = ControlPlane.startDataPlane(config(peers));
            daemon.upstreams().get(1).setPeerUp(0, false, "taken down by the test");
            for (int i = 0; i < CLIENTS; i++) {
                DatagramChannel client = DatagramChannel.open();
                client.bind(new InetSocketAddress("127.0." + (1 + i % 4) + ".1", 0));
                clients.add(client);
            }
            Counters counters = daemon.counters();

            Fingerprints mayArrive = new Fingerprints();
            Map<String, Long> byContent = new HashMap<>();
            long toLivePeers = 0;
            for (int n = 1; n <= DATAGRAMS; n++) {
                byte[] datagram = datagram(random);
                Outcome outcome = MODEL.of(datagram);
                if (!outcome.forwarded()) {
                    byContent.merge(outcome.dropReason(), 1L, Long::sum);
                } else if (outcome.upstream().equals("dark")) {
                    byContent.merge("no_peer", 1L, Long::sum);
                } else {
                    mayArrive.add(datagram);
                    toLivePeers++;
                }
                clients.get(random.nextInt(CLIENTS)).send(ByteBuffer.wrap(datagram), daemon.listenAddress());
                if (n % 200 == 0 || n == DATAGRAMS) {
                    long sent = n;
                    Poll.until(Poll.DEFAULT_TIMEOUT, "all " + sent + " datagrams read and forwarded or dropped",
                            () -> counters.total(LoopCounter.RECEIVED_DATAGRAMS) == sent
                                    && forwarded(counters) + dropped(counters) == sent
                                    && arrived(peers) == forwarded(counters));
                }
            }

            assertThat(forwarded(counters) + dropped(counters))
                    .as("datagrams forwarded plus datagrams dropped, every reason, against datagrams read")
                    .isEqualTo(counters.total(LoopCounter.RECEIVED_DATAGRAMS)).isEqualTo(DATAGRAMS);
            for (String reason : List.of("empty", "oversize", "no_route", "short_key", "no_peer")) {
                assertThat(counters.dropped(reason)).as("drops as %s against the SPEC's reference", reason)
                        .isEqualTo(byContent.getOrDefault(reason, 0L));
            }
            assertThat(forwarded(counters) + counters.dropped(DropReason.SESSION_LIMIT)
                    + counters.dropped(DropReason.SEND_ERROR))
                    .as("datagrams for live upstreams: forwarded, or dropped at the session cap or on a send error")
                    .isEqualTo(toLivePeers);
            assertThat(counters.dropped(DropReason.SESSION_LIMIT)).as("drops at the session cap").isPositive();
            assertThat(counters.dropped(DropReason.SEND_ERROR)).as("drops on the unsendable peer").isPositive();
            assertThat(counters.peer("flaky", 0, PeerCounter.SEND_ERRORS)).as("send errors to " + UNSENDABLE)
                    .isPositive();
            assertThat(daemon.sessionCount()).as("live sessions (MaxSessions %d)", MAX_SESSIONS)
                    .isLessThanOrEqualTo(MAX_SESSIONS);
            Fingerprints all = new Fingerprints();
            peers.forEach(p -> p.received().addAllTo(all));
            assertThat(all.extraOver(mayArrive)).as("datagrams at the peers that no client sent there, whole")
                    .isEmpty();
            assertThat(daemon.isListening()).as("every listening socket is still open").isTrue();
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            for (DatagramChannel client : clients) {
                client.close();
            }
            peers.forEach(RecordingBackend::close);
        }
    }

    private static byte[] datagram(Random random) {
        int roll = random.nextInt(100);
        int size = roll < 3 ? 0 : roll < 15 ? 1 + random.nextInt(4) : roll < 20 ? BUF_SIZE + random.nextInt(3)
                : roll < 21 ? 65_507 : 1 + random.nextInt(BUF_SIZE);
        byte[] datagram = new byte[size];
        random.nextBytes(datagram);
        return datagram;
    }

    /** The listeners get 4 MiB (RecvBufBytes): a chunk of 200 datagrams must queue whole, not overflow. */
    private static StevedoreConfig config(List<RecordingBackend> peers) throws Exception {
        String json = """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 2, "BufSize": %d, "MaxTryTimes": 1,
                             "RecvBufBytes": 4194304},
                  "Session": {"MaxSessions": %d},
                  "Upload": {
                    "DefaultUpstream": "deny",
                    "Routes": [%s],
                    "Upstreams": [
                      {"Name": "flaky", "Type": "rr", "Peers": [{"IP": "%s", "Port": 9}, %s]},
                      {"Name": "dark", "Type": "rr", "Peers": [%s]},
                      {"Name": "keyed", "Type": "chash", "KeyBytes": "0:4", "Peers": [%s]}
                    ]
                  }
                }
                """.formatted(BUF_SIZE, MAX_SESSIONS, String.join(",", RULES.stream().map(Rule::json).toList()),
                UNSENDABLE, peer(peers.get(0)), peer(peers.get(1)), peer(peers.get(2)));
        return ConfigLoader.parse(json).config();
    }

    private static String peer(RecordingBackend backend) {
        return "{\"IP\": \"" + backend.address().getAddress().getHostAddress() + "\", \"Port\": "
                + backend.address().getPort() + "}";
    }

    private static long forwarded(Counters counters) {
        long total = 0;
        for (String upstream : List.of("flaky", "dark", "keyed")) {
            total += counters.upstream(upstream, PeerCounter.FORWARDED_DATAGRAMS);
        }
        return total;
    }

    private static long dropped(Counters counters) {
        long total = 0;
        for (DropReason reason : DropReason.values()) {
            total += counters.dropped(reason);
        }
        return total;
    }

    private static long arrived(List<RecordingBackend> peers) {
        return peers.stream().mapToLong(RecordingBackend::count).sum();
    }
}
