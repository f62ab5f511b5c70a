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
import io.stevedore.testing.Client;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import io.stevedore.transport.Transport;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real daemon under a seeded random mix of client datagrams: empty ones, one byte, every size
 * around each route's and the hash key's end, around {@code BufSize}, up to the largest UDP
 * datagram, random bytes with route values planted in them, from many client sockets. SPEC §4:
 * it never stops forwarding, never forwards a datagram cut or changed, takes the route the SPEC's
 * operator table gives, and counts every datagram it does not forward under one reason.
 */
@ExtendWith(NettyLeakCheck.class)
class DatagramFuzzTest {

    private static final int BUF_SIZE = 2048;
    private static final int DATAGRAMS = 20_000;
    private static final int CLIENTS = 24;
    /** The largest payload of a UDP datagram over IPv4. */
    private static final int MAX_UDP = 65_507;
    private static final int HASH_KEY_END = 13;

    /** Every operator, fields of 1 to 16 bytes, one at the very end of BufSize; some routes deny. */
    private static final List<Rule> RULES = List.of(
            new Rule("0:2", "&=", "0xc0c0", "hash"),
            new Rule("2:3", "|=", "0x0f", "rr"),
            new Rule("3:5", "==", "258", "hash"),
            new Rule("100:101", "<", "10", "deny"),
            new Rule("8:20", ">", "0xf00000000000000000000000", "rr"),
            new Rule("20:36", "<=", "0x0fffffffffffffffffffffffffffffff", "hash"),
            new Rule("2046:2048", ">=", "0x8000", "rr"),
            new Rule("5:7", "!|=", "0b1111111111111110", "deny"),
            new Rule("6:7", "!&=", "0x81", "rr"),
            new Rule("7:9", "!=", "0x0000", "hash"),
            new Rule("9:10", "!==", "0x0", "rr"));

    private static final ReferenceRoutes MODEL = new ReferenceRoutes(BUF_SIZE, RULES, "deny",
            Map.of("hash", HASH_KEY_END, "rr", 0));

    /** Epoll and NIO on IPv4, and epoll with clients on IPv6 loopback (peers stay IPv4). */
    static Stream<Arguments> listeners() {
        return Stream.of(Arguments.of(Transport.EPOLL, "127.0.0.1"), Arguments.of(Transport.NIO, "127.0.0.1"),
                Arguments.of(Transport.EPOLL, "::1"));
    }

    @ParameterizedTest(name = "{0} listening on {1}")
    @MethodSource("listeners")
    void randomDatagramsAreForwardedWholeOrCountedAndForwardingGoesOn(Transport transport, String listenIp)
            throws Exception {
        Random random = new Random(transport.ordinal() * 10L + listenIp.length());
        List<RecordingBackend> hash = new ArrayList<>();
        List<RecordingBackend> rr = new ArrayList<>();
        List<DatagramChannel> clients = new ArrayList<>();
        Daemon daemon = null;
        try {
            for (int i = 0; i < 3; i++) {
                hash.add(RecordingBackend.start("127.0.0." + (2 + i), 2 + i));
                rr.add(RecordingBackend.start("127.0.0." + (2 + i), 12 + i));
            }
            boolean v6 = listenIp.contains(":");
            daemon = ControlPlane.startDataPlane(config(v6 ? "[::1]:0" : "127.0.0.1:0", hash, rr), transport);
            for (int i = 0; i < CLIENTS; i++) {
                // Clients from several loopback addresses, so the kernel spreads them over both listeners.
                DatagramChannel client =
                        DatagramChannel.open(v6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                client.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
                client.bind(new InetSocketAddress(v6 ? "::1" : "127.0." + (1 + i % 4) + ".1", 0));
                clients.add(client);
            }
            Counters counters = daemon.counters();

            Fingerprints expectedAtHash = new Fingerprints();
            Fingerprints expectedAtRr = new Fingerprints();
            Map<String, Long> expectedDrops = new HashMap<>();
            long sentBytes = 0;
            int inChunk = 0;
            long chunkBytes = 0;
            for (int n = 1; n <= DATAGRAMS; n++) {
                byte[] datagram = datagram(random);
                Outcome outcome = MODEL.of(datagram);
                if (!outcome.forwarded()) {
                    expectedDrops.merge(outcome.dropReason(), 1L, Long::sum);
                } else if (outcome.upstream().equals("hash")) {
                    expectedAtHash.add(datagram);
                } else {
                    expectedAtRr.add(datagram);
                }
                clients.get(random.nextInt(CLIENTS)).send(ByteBuffer.wrap(datagram), daemon.listenAddress());
                sentBytes += datagram.length;
                chunkBytes += datagram.length;
                inChunk++;
                // Paced so that no socket buffer on the way overflows (a chunk fits the listeners'
                // 4 MiB RecvBufBytes): a loss there would be the kernel's (counted as overflow at
                // our listeners, by nobody elsewhere) and would hide the daemon's own.
                if (inChunk == 200 || chunkBytes > (1 << 20) || n == DATAGRAMS) {
                    awaitSettled(counters, n, hash, rr);
                    inChunk = 0;
                    chunkBytes = 0;
                }
            }

            long received = counters.total(LoopCounter.RECEIVED_DATAGRAMS);
            assertThat(received).as("client datagrams the daemon read (stevedore_client_datagrams_total)")
                    .isEqualTo(DATAGRAMS);
            assertThat(counters.total(LoopCounter.RECEIVED_BYTES)).as("client bytes the daemon read")
                    .isLessThanOrEqualTo(sentBytes);
            assertThat(forwarded(counters) + dropped(counters))
                    .as("datagrams forwarded plus datagrams dropped, every reason: nothing unaccounted for")
                    .isEqualTo(received);
            for (DropReason reason : DropReason.values()) {
                assertThat(counters.dropped(reason))
                        .as("stevedore_dropped_datagrams_total{reason=\"%s\"} against the SPEC's reference",
                                reason.label())
                        .isEqualTo(expectedDrops.getOrDefault(reason.label(), 0L));
            }
            assertThat(counters.upstream("hash", PeerCounter.FORWARDED_DATAGRAMS))
                    .as("datagrams sent to upstream hash").isEqualTo(expectedAtHash.size());
            assertThat(counters.upstream("rr", PeerCounter.FORWARDED_DATAGRAMS))
                    .as("datagrams sent to upstream rr").isEqualTo(expectedAtRr.size());
            assertThat(arrived(hash).differenceFrom(expectedAtHash))
                    .as("datagrams at the hash peers are, byte for byte, those the SPEC's routes send there").isEmpty();
            assertThat(arrived(rr).differenceFrom(expectedAtRr))
                    .as("datagrams at the rr peers are, byte for byte, those the SPEC's routes send there").isEmpty();
            for (RecordingBackend backend : concat(hash, rr)) {
                assertThat(backend.largest())
                        .as("largest datagram at peer %s (BufSize %d)", backend.address(), BUF_SIZE)
                        .isLessThanOrEqualTo(BUF_SIZE);
            }
            assertThat(hash.get(2).count() + rr.get(2).count())
                    .as("datagrams at the backup peers while every primary was up").isZero();
            assertThat(counters.total(LoopCounter.LISTENER_ERRORS)).as("listener errors").isZero();
            assertThat(expectedDrops).as("the mix reached every content drop").containsKeys(
                    "empty", "oversize", "no_route", "short_key");

            assertStillForwards(daemon, rr);
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            for (DatagramChannel client : clients) {
                client.close();
            }
            concat(hash, rr).forEach(RecordingBackend::close);
        }
    }

    /** Waits until the daemon has read {@code sent} datagrams and each forwarded one has arrived. */
    private static void awaitSettled(Counters counters, long sent, List<RecordingBackend> hash,
            List<RecordingBackend> rr) {
        Poll.until(Poll.DEFAULT_TIMEOUT,
                "the daemon has read, and forwarded or dropped, all " + sent + " datagrams sent",
                () -> counters.total(LoopCounter.RECEIVED_DATAGRAMS) == sent
                        && forwarded(counters) + dropped(counters) == sent
                        && arrivedCount(hash, rr) == forwarded(counters),
                () -> "read " + counters.total(LoopCounter.RECEIVED_DATAGRAMS) + ", forwarded " + forwarded(counters)
                        + ", dropped " + dropsByReason(counters) + ", arrived at peers " + arrivedCount(hash, rr));
    }

    /** A client sends one ordinary datagram routed to rr, and the peer's answer comes back to it. */
    private static void assertStillForwards(Daemon daemon, List<RecordingBackend> rr) throws Exception {
        rr.forEach(RecordingBackend::echoing);
        byte[] normal = new byte[64];
        normal[2] = 0x0f; // "2:3" |= 0x0f
        assertThat(MODEL.of(normal)).as("the reference routes the probe to rr").isEqualTo(Outcome.to("rr"));
        try (Client client = new Client(daemon.listenAddress())) {
            Client.Reply reply = client.request(normal);
            assertThat(reply.backend()).as("the peer that answered the probe is an rr peer").isBetween(12, 14);
        }
        assertThat(daemon.isListening()).as("every listening socket is still open").isTrue();
    }

    private static byte[] datagram(Random random) {
        int size = size(random);
        byte[] datagram = new byte[size];
        random.nextBytes(datagram);
        if (random.nextBoolean()) {
            plant(datagram, random);
        }
        return datagram;
    }

    private static int size(Random random) {
        int roll = random.nextInt(1000);
        if (roll < 20) {
            return 0;
        }
        if (roll < 40) {
            return 1;
        }
        if (roll < 340) {
            // Around the end of a route's field or of the hash key: one short, exact, one over.
            int end = random.nextInt(RULES.size() + 1) == RULES.size() ? HASH_KEY_END
                    : RULES.get(random.nextInt(RULES.size())).end();
            return Math.max(0, end - 1 + random.nextInt(3));
        }
        if (roll < 440) {
            return BUF_SIZE - 1 + random.nextInt(3);
        }
        if (roll < 465) {
            return BUF_SIZE + 2 + random.nextInt(MAX_UDP - BUF_SIZE - 1);
        }
        if (roll < 470) {
            return MAX_UDP;
        }
        return 1 + random.nextInt(BUF_SIZE);
    }

    /** Writes a route's value, or a neighbour of it, into its field: random bytes rarely hit "==". */
    private static void plant(byte[] datagram, Random random) {
        Rule rule = RULES.get(random.nextInt(RULES.size()));
        if (datagram.length < rule.end()) {
            return;
        }
        BigInteger value = ReferenceRoutes.parse(rule.value()).add(BigInteger.valueOf(random.nextInt(3) - 1));
        if (value.signum() < 0) {
            value = BigInteger.ZERO;
        }
        byte[] field = ReferenceRoutes.fieldBytes(rule, value);
        System.arraycopy(field, 0, datagram, rule.start(), field.length);
    }

    private static StevedoreConfig config(String listen, List<RecordingBackend> hash, List<RecordingBackend> rr)
            throws Exception {
        String json = """
                {
                  "Server": {"ListenAddr": "%s", "ListenParallel": 2, "BatchSize": 16, "BufSize": %d,
                             "RecvBufBytes": 4194304},
                  "Upload": {
                    "DefaultUpstream": "deny",
                    "Routes": [%s],
                    "Upstreams": [
                      {"Name": "hash", "Type": "chash", "KeyBytes": "1:%d", "TableSize": 251, "Peers": [%s]},
                      {"Name": "rr", "Type": "rr", "Peers": [%s]}
                    ]
                  }
                }
                """.formatted(listen, BUF_SIZE, RULES.stream().map(Rule::json).collect(Collectors.joining(",\n")),
                HASH_KEY_END, peers(hash), peers(rr));
        return ConfigLoader.parse(json).config();
    }

    /** Two primaries of weights 1 and 3, and a backup. */
    private static String peers(List<RecordingBackend> backends) {
        return String.format("{\"IP\": \"%s\", \"Port\": %d}, {\"IP\": \"%s\", \"Port\": %d, \"Weight\": 3},"
                        + " {\"IP\": \"%s\", \"Port\": %d, \"Backup\": true}",
                ip(backends.get(0)), backends.get(0).address().getPort(),
                ip(backends.get(1)), backends.get(1).address().getPort(),
                ip(backends.get(2)), backends.get(2).address().getPort());
    }

    private static String ip(RecordingBackend backend) {
        return backend.address().getAddress().getHostAddress();
    }

    private static long forwarded(Counters counters) {
        return counters.upstream("hash", PeerCounter.FORWARDED_DATAGRAMS)
                + counters.upstream("rr", PeerCounter.FORWARDED_DATAGRAMS);
    }

    private static long dropped(Counters counters) {
        long total = 0;
        for (DropReason reason : DropReason.values()) {
            total += counters.dropped(reason);
        }
        return total;
    }

    private static Map<DropReason, Long> dropsByReason(Counters counters) {
        Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        for (DropReason reason : DropReason.values()) {
            drops.put(reason, counters.dropped(reason));
        }
        return drops;
    }

    private static long arrivedCount(List<RecordingBackend> hash, List<RecordingBackend> rr) {
        return concat(hash, rr).stream().mapToLong(RecordingBackend::count).sum();
    }

    private static Fingerprints arrived(List<RecordingBackend> backends) {
        Fingerprints all = new Fingerprints();
        for (RecordingBackend backend : backends) {
            backend.received().addAllTo(all);
        }
        return all;
    }

    private static List<RecordingBackend> concat(List<RecordingBackend> a, List<RecordingBackend> b) {
        List<RecordingBackend> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
