package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.robustness.RecordingBackend.Answer;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import io.stevedore.transport.Transport;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reply path under hostile peers: answers of every size (empty, one byte, around
 * {@code BufSize}, up to the largest UDP datagram), some from a second port of the peer's IP (as
 * TFTP servers answer), and datagrams from an address that is no peer (127.0.0.9) aimed at the
 * session sockets. Each client gets exactly the valid answers to its own requests, whole; every
 * other datagram is counted under its reason.
 */
@ExtendWith(NettyLeakCheck.class)
class ReplyFuzzTest {

    private static final int BUF_SIZE = 1024;
    private static final int REQUESTS = 2000;
    private static final int CHUNK = 50;
    private static final int FOREIGN_PER_CHUNK = 10;
    private static final int CLIENTS = 4;
    private static final int MAX_UDP = 65_507;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void clientsGetOnlyWholeValidRepliesAndEveryOtherDatagramIsCounted(Transport transport) throws Exception {
        Random random = new Random(transport == Transport.EPOLL ? 5051L : 5052L);
        List<RecordingBackend> peers = new ArrayList<>();
        List<DatagramSocket> clients = new ArrayList<>();
        Daemon daemon = null;
        try (DatagramSocket stranger = new DatagramSocket(new InetSocketAddress("127.0.0.9", 0))) {
            for (int i = 0; i < 2; i++) {
                peers.add(RecordingBackend.start("127.0.0." + (2 + i), 2 + i).answering(ReplyFuzzTest::answer));
            }
            daemon = ControlPlane.startDataPlane(config(peers), transport);
            for (int i = 0; i < CLIENTS; i++) {
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                client.setReceiveBufferSize(4 << 20);
                clients.add(client);
            }
            Counters counters = daemon.counters();
            List<Fingerprints> expected = new ArrayList<>();
            List<Fingerprints> received = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                expected.add(new Fingerprints());
                received.add(new Fingerprints());
            }
            long oversize = 0;
            long empty = 0;
            long validBytes = 0;
            long foreign = 0;
            for (int seq = 0; seq < REQUESTS; seq++) {
                int client = random.nextInt(CLIENTS);
                int length = replyLength(random);
                if (length == 0) {
                    empty++;
                } else if (length > BUF_SIZE) {
                    oversize++;
                } else {
                    expected.get(client).add(reply(seq, length));
                    validBytes += length;
                }
                byte[] request = new byte[8 + random.nextInt(100)];
                random.nextBytes(request);
                ByteBuffer.wrap(request).putInt(length).putInt(seq);
                clients.get(client).send(new DatagramPacket(request, request.length, daemon.listenAddress()));
                if ((seq + 1) % CHUNK == 0) {
                    long answered = seq + 1;
                    // The stranger aims at session sockets the peers have seen.
                    Poll.equal("requests at the peers", answered,
                            () -> peers.stream().mapToLong(RecordingBackend::count).sum());
                    foreign += strangerWrites(stranger, sessionSockets(peers), random);
                    long foreignSent = foreign;
                    Poll.until(Poll.DEFAULT_TIMEOUT, "every answer to " + answered
                            + " requests relayed or counted, and " + foreignSent + " stranger datagrams counted",
                            () -> peers.stream().mapToLong(RecordingBackend::count).sum() == answered
                                    && relayed(counters) + counters.dropped(DropReason.OVERSIZE)
                                            + counters.dropped(DropReason.EMPTY) == answered
                                    && counters.dropped(DropReason.FOREIGN_REPLY) == foreignSent,
                            () -> "peers answered " + peers.stream().mapToLong(RecordingBackend::count).sum()
                                    + ", relayed " + relayed(counters) + ", oversize "
                                    + counters.dropped(DropReason.OVERSIZE) + ", empty "
                                    + counters.dropped(DropReason.EMPTY) + ", foreign_reply "
                                    + counters.dropped(DropReason.FOREIGN_REPLY));
                    for (int i = 0; i < CLIENTS; i++) {
                        drain(clients.get(i), received.get(i), expected.get(i).size());
                    }
                }
            }

            for (int i = 0; i < CLIENTS; i++) {
                assertThat(received.get(i).differenceFrom(expected.get(i)))
                        .as("client %d received exactly the answers to its requests no larger than BufSize, whole", i)
                        .isEmpty();
            }
            assertThat(counters.dropped(DropReason.OVERSIZE)).as("answers larger than BufSize, dropped as oversize")
                    .isEqualTo(oversize);
            assertThat(counters.dropped(DropReason.EMPTY)).as("empty answers, dropped as empty").isEqualTo(empty);
            assertThat(counters.dropped(DropReason.FOREIGN_REPLY))
                    .as("datagrams from 127.0.0.9, no peer, dropped as foreign_reply").isEqualTo(foreign);
            for (DropReason reason : List.of(DropReason.NO_ROUTE, DropReason.SHORT_KEY, DropReason.SESSION_LIMIT,
                    DropReason.NO_PEER, DropReason.SEND_ERROR, DropReason.BACKPRESSURE)) {
                assertThat(counters.dropped(reason)).as("drops as %s", reason.label()).isZero();
            }
            assertThat(relayed(counters)).as("answers relayed to clients (direction=download)")
                    .isEqualTo(REQUESTS - oversize - empty);
            assertThat(counters.upstream("echo", PeerCounter.REPLIED_BYTES)).as("bytes relayed to clients")
                    .isEqualTo(validBytes);
            assertThat(counters.total(LoopCounter.LISTENER_ERRORS)).as("listener errors").isZero();
            assertThat(oversize).as("the mix had oversize answers").isPositive();
            assertThat(empty).as("the mix had empty answers").isPositive();

            assertStillRelays(daemon, clients.get(0));
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            clients.forEach(DatagramSocket::close);
            peers.forEach(RecordingBackend::close);
        }
    }

    /** The peers' behaviour: the request's first four bytes say how long the answer is. */
    private static Answer answer(byte[] request) {
        ByteBuffer header = ByteBuffer.wrap(request);
        int length = header.getInt();
        int seq = header.getInt();
        return new Answer(reply(seq, length), seq % 5 == 0);
    }

    private static byte[] reply(int seq, int length) {
        byte[] reply = new byte[length];
        for (int i = 0; i < length; i++) {
            reply[i] = (byte) (seq * 31 + i * 7);
        }
        return reply;
    }

    private static int replyLength(Random random) {
        int roll = random.nextInt(100);
        if (roll < 5) {
            return 0;
        }
        if (roll < 10) {
            return 1;
        }
        if (roll < 25) {
            return BUF_SIZE - 1 + random.nextInt(3);
        }
        if (roll < 30) {
            return BUF_SIZE + 2 + random.nextInt(MAX_UDP - BUF_SIZE - 1);
        }
        return 2 + random.nextInt(BUF_SIZE - 2);
    }

    /** The daemon's sockets toward the peers, as the peers saw them. */
    private static List<InetSocketAddress> sessionSockets(List<RecordingBackend> peers) {
        Set<InetSocketAddress> all = ConcurrentHashMap.newKeySet();
        peers.forEach(p -> all.addAll(p.senders()));
        return new ArrayList<>(all);
    }

    /** Datagrams of any size from an address that is no peer, to the session sockets; how many were sent. */
    private static int strangerWrites(DatagramSocket stranger, List<InetSocketAddress> sessions, Random random)
            throws IOException {
        for (int i = 0; i < FOREIGN_PER_CHUNK; i++) {
            byte[] datagram = new byte[i == 0 ? 0 : i == 1 ? MAX_UDP : replyLength(random)];
            random.nextBytes(datagram);
            stranger.send(new DatagramPacket(datagram, datagram.length, sessions.get(random.nextInt(sessions.size()))));
        }
        return FOREIGN_PER_CHUNK;
    }

    /** Reads what the client was sent until it holds {@code expected} datagrams, or fails at the deadline. */
    private static void drain(DatagramSocket client, Fingerprints into, int expected) throws IOException {
        byte[] buffer = new byte[65_536];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        long deadline = System.nanoTime() + Poll.DEFAULT_TIMEOUT.toNanos();
        client.setSoTimeout(50);
        while (into.size() < expected && System.nanoTime() - deadline < 0) {
            try {
                packet.setData(buffer);
                client.receive(packet);
                into.add(Fingerprints.of(buffer, 0, packet.getLength()));
            } catch (SocketTimeoutException e) {
                // nothing yet: look again until the deadline
            }
        }
        assertThat(into.size()).as("answers received by client %s", client.getLocalSocketAddress())
                .isEqualTo(expected);
    }

    /** One more ordinary request: its answer comes back whole. */
    private static void assertStillRelays(Daemon daemon, DatagramSocket client) throws IOException {
        byte[] request = new byte[8];
        ByteBuffer.wrap(request).putInt(100).putInt(REQUESTS);
        client.send(new DatagramPacket(request, request.length, daemon.listenAddress()));
        Fingerprints got = new Fingerprints();
        drain(client, got, 1);
        Fingerprints want = new Fingerprints();
        want.add(reply(REQUESTS, 100));
        assertThat(got.differenceFrom(want)).as("the answer to an ordinary request after the fuzz").isEmpty();
        assertThat(daemon.isListening()).as("every listening socket is still open").isTrue();
    }

    private static long relayed(Counters counters) {
        return counters.upstream("echo", PeerCounter.REPLIED_DATAGRAMS);
    }

    private static StevedoreConfig config(List<RecordingBackend> peers) throws Exception {
        String json = """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 2, "BufSize": %d},
                  "Upload": {
                    "DefaultUpstream": "echo",
                    "Upstreams": [{"Name": "echo", "Type": "rr", "Peers": [
                      {"IP": "127.0.0.2", "Port": %d}, {"IP": "127.0.0.3", "Port": %d}]}]
                  }
                }
                """.formatted(BUF_SIZE, peers.get(0).address().getPort(), peers.get(1).address().getPort());
        return ConfigLoader.parse(json).config();
    }
}
