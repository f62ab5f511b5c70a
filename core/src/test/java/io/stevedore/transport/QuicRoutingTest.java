package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.peerIndex;
import static io.stevedore.transport.TestConfig.quic;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.quic.ServerIdCodec;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@code quic} upstream on the daemon, with hand-made QUIC headers over plain UDP: each datagram
 * goes to the peer its destination connection ID names, whichever client sends it; what does not
 * route goes to one fallback peer per client, which the session remembers.
 */
@ExtendWith(NettyLeakCheck.class)
class QuicRoutingTest {

    private static final byte[][] SERVER_IDS = {{0, 0, 2}, {0, 0, 3}, {0, 0, 4}};
    private static final QuicLbConfig PLAIN = QuicLbConfig.plaintext(1, 3, 4);
    private static final QuicLbConfig ENCRYPTED = new QuicLbConfig(2, 3, 12, key());

    private final Random random = new Random(16);

    private static byte[] key() {
        byte[] key = new byte[16];
        new Random(1).nextBytes(key);
        return key;
    }

    private interface Body {
        void run(Daemon daemon, List<EchoBackend> backends) throws Exception;
    }

    private static void withQuicUpstream(Body body) throws Exception {
        List<EchoBackend> backends = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                backends.add(EchoBackend.start("127.0.0." + (2 + i), 2 + i));
            }
            try (Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("q").parallel(2)
                    .upstream(quic("q", List.of(PLAIN, ENCRYPTED), peer(backends.get(0).address(), SERVER_IDS[0]),
                            peer(backends.get(1).address(), SERVER_IDS[1]), peer(backends.get(2).address(), SERVER_IDS[2])))
                    .build())) {
                body.run(daemon, backends);
            }
        } finally {
            backends.forEach(EchoBackend::close);
        }
    }

    /** A 1-RTT packet (short header) to the connection ID {@code config} gives {@code serverId}. */
    private byte[] shortHeader(QuicLbConfig config, byte[] serverId) {
        byte[] cid = connectionId(config, serverId);
        byte[] datagram = new byte[1 + cid.length + 24];
        random.nextBytes(datagram);
        datagram[0] = (byte) (0x40 | datagram[0] & 0x3F);
        System.arraycopy(cid, 0, datagram, 1, cid.length);
        return datagram;
    }

    /** A long-header packet (version 1, a Handshake) to that connection ID. */
    private byte[] longHeader(QuicLbConfig config, byte[] serverId) {
        byte[] cid = connectionId(config, serverId);
        byte[] datagram = new byte[6 + cid.length + 1 + 8 + 30];
        random.nextBytes(datagram);
        datagram[0] = (byte) 0xE0;
        datagram[1] = 0;
        datagram[2] = 0;
        datagram[3] = 0;
        datagram[4] = 1;
        datagram[5] = (byte) cid.length;
        System.arraycopy(cid, 0, datagram, 6, cid.length);
        datagram[6 + cid.length] = 8;
        return datagram;
    }

    private byte[] connectionId(QuicLbConfig config, byte[] serverId) {
        byte[] nonce = new byte[config.nonceLength()];
        random.nextBytes(nonce);
        return new ServerIdCodec(config).encode(serverId, nonce, random.nextBoolean());
    }

    /** Datagrams no configuration routes: config ID 0 has none, 0b111 never routes, too short, an unknown server ID. */
    private List<byte[]> unroutable() {
        byte[] noConfig = shortHeader(PLAIN, SERVER_IDS[0]);
        noConfig[1] = (byte) (noConfig[1] & 0x1F);
        byte[] reserved = shortHeader(PLAIN, SERVER_IDS[1]);
        reserved[1] = (byte) (reserved[1] | 0xE0);
        byte[] tooShort = {0x40, (byte) (PLAIN.configId() << 5), 0, 0, 2};
        byte[] initial = longHeader(ENCRYPTED, SERVER_IDS[2]);
        initial[5] = 8; // a client's random Initial DCID of 8 octets: shorter than the configuration's 16
        return List.of(noConfig, reserved, tooShort, shortHeader(PLAIN, new byte[] {9, 9, 9}),
                shortHeader(ENCRYPTED, new byte[] {9, 9, 9}), initial);
    }

    @Test
    void eachConnectionIdReachesThePeerItsServerIdNamesFromAnyClient() throws Exception {
        withQuicUpstream((daemon, backends) -> {
            try (Client one = new Client(daemon.listenAddress(), "127.0.0.1");
                    Client other = new Client(daemon.listenAddress(), "127.0.1.1")) {
                int sent = 0;
                for (int round = 0; round < 5; round++) {
                    for (int peer = 0; peer < 3; peer++) {
                        for (QuicLbConfig config : List.of(PLAIN, ENCRYPTED)) {
                            for (Client client : List.of(one, other)) {
                                assertThat(client.request(shortHeader(config, SERVER_IDS[peer])).backend())
                                        .isEqualTo(backends.get(peer).id());
                                assertThat(client.request(longHeader(config, SERVER_IDS[peer])).backend())
                                        .isEqualTo(backends.get(peer).id());
                                sent += 2;
                            }
                        }
                    }
                }
                Counters counters = daemon.counters();
                long expected = sent;
                Poll.until("every datagram counted by its server ID",
                        () -> counters.upstream("q", PeerCounter.QUIC_SERVER_ID) == expected);
                assertThat(counters.upstream("q", PeerCounter.QUIC_FALLBACK)).isZero();
            }
        });
    }

    @Test
    void whatDoesNotRouteReachesOneFallbackPeerPerClientWhichTheSessionKeeps() throws Exception {
        withQuicUpstream((daemon, backends) -> {
            Upstream q = daemon.upstreams().get(0);
            Set<Integer> fallbacks = new HashSet<>();
            int sent = 0;
            for (int c = 0; c < 12; c++) {
                try (Client client = new Client(daemon.listenAddress(), "127.0." + c + ".1")) {
                    Set<Integer> reached = new HashSet<>();
                    for (byte[] datagram : unroutable()) {
                        reached.add(client.request(datagram).backend());
                        sent++;
                    }
                    assertThat(reached).as("client %d's unroutable datagrams", c).hasSize(1);
                    fallbacks.addAll(reached);
                    if (c == 0) {
                        int fallback = reached.iterator().next();
                        EchoBackend another = backends.stream().filter(b -> b.id() != fallback).findFirst().orElseThrow();
                        q.setPeerUp(peerIndex(q, another), false, "test");
                        for (byte[] datagram : unroutable()) {
                            assertThat(client.request(datagram).backend()).as("kept across a table change")
                                    .isEqualTo(fallback);
                            sent++;
                        }
                        q.setPeerUp(peerIndex(q, another), true, "test");
                    }
                }
            }
            assertThat(fallbacks).as("Maglev spreads clients over the peers").hasSizeGreaterThan(1);
            Counters counters = daemon.counters();
            long expected = sent;
            Poll.until("every fallback counted",
                    () -> counters.upstream("q", PeerCounter.QUIC_FALLBACK) == expected);
            assertThat(counters.upstream("q", PeerCounter.QUIC_SERVER_ID)).isZero();
        });
    }

    @Test
    void aConnectionIdOfAPeerThatIsDownGoesToTheFallbackUntilThePeerIsBack() throws Exception {
        withQuicUpstream((daemon, backends) -> {
            Upstream q = daemon.upstreams().get(0);
            try (Client client = new Client(daemon.listenAddress(), "127.0.0.1")) {
                int fallback = client.request(unroutable().get(0)).backend();
                int named = fallback == 2 ? 1 : 0;
                q.setPeerUp(named, false, "test");
                assertThat(client.request(shortHeader(ENCRYPTED, SERVER_IDS[named])).backend())
                        .as("its peer is down").isEqualTo(fallback);
                q.setPeerUp(named, true, "test");
                assertThat(client.request(shortHeader(ENCRYPTED, SERVER_IDS[named])).backend())
                        .as("its peer is back").isEqualTo(backends.get(named).id());
                q.setPeerUp(fallback - 2, false, "test");
                int moved = client.request(unroutable().get(1)).backend();
                assertThat(moved).as("the fallback peer is down").isNotEqualTo(fallback);
                q.setPeerUp(fallback - 2, true, "test");
                assertThat(client.request(unroutable().get(2)).backend()).as("the new fallback is kept")
                        .isEqualTo(moved);
                Counters counters = daemon.counters();
                Poll.until("one datagram by its server ID, four to the fallback",
                        () -> counters.upstream("q", PeerCounter.QUIC_SERVER_ID) == 1
                                && counters.upstream("q", PeerCounter.QUIC_FALLBACK) == 4);
            }
        });
    }
}
