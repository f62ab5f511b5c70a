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
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random datagrams while the configuration is reloaded back and forth between two that route the
 * same bytes to opposite upstreams and change their peers. Each datagram is handled by one
 * configuration whole: it arrives, uncut, where one of the two sends it, or is counted; none is
 * lost between the two, and counters of peers that come and go add up.
 */
@ExtendWith(NettyLeakCheck.class)
class ReloadUnderTrafficTest {

    private static final int BUF_SIZE = 512;
    private static final int DATAGRAMS = 8000;
    private static final int RELOADS = 40;
    private static final int CLIENTS = 12;

    private static final ReferenceRoutes A = new ReferenceRoutes(BUF_SIZE,
            List.of(new Rule("0:1", "<", "0x80", "hash")), "rr", Map.of("hash", 4, "rr", 0));
    private static final ReferenceRoutes B = new ReferenceRoutes(BUF_SIZE,
            List.of(new Rule("0:1", "<", "0x80", "rr")), "hash", Map.of("hash", 4, "rr", 0));

    @Test
    void everyDatagramFollowsOneConfigurationWholeAcrossReloads() throws Exception {
        Random random = new Random(7071L);
        List<RecordingBackend> hash = new ArrayList<>();
        List<RecordingBackend> rr = new ArrayList<>();
        List<DatagramChannel> clients = new ArrayList<>();
        Daemon daemon = null;
        try {
            for (int i = 0; i < 3; i++) {
                hash.add(RecordingBackend.start("127.0.0." + (2 + i), 2 + i));
                rr.add(RecordingBackend.start("127.0.0." + (2 + i), 12 + i));
            }
            StevedoreConfig a = config(A, hash.subList(0, 2), rr.subList(0, 1));
            StevedoreConfig b = config(B, hash.subList(1, 3), rr.subList(0, 2));
            daemon = ControlPlane.startDataPlane(a);
            for (int i = 0; i < CLIENTS; i++) {
                DatagramChannel client = DatagramChannel.open();
                client.bind(new InetSocketAddress("127.0." + (1 + i % 3) + ".1", 0));
                clients.add(client);
            }
            Counters counters = daemon.counters();

            Fingerprints mayReachHash = new Fingerprints();
            Fingerprints mayReachRr = new Fingerprints();
            long emptyOrOversize = 0;
            int perReload = DATAGRAMS / RELOADS;
            for (int n = 1; n <= DATAGRAMS; n++) {
                byte[] datagram = new byte[random.nextInt(20) == 0 ? BUF_SIZE + 1 : random.nextInt(BUF_SIZE + 1)];
                random.nextBytes(datagram);
                Outcome underA = A.of(datagram);
                Outcome underB = B.of(datagram);
                if (!underA.forwarded() && !underB.forwarded() && underA.equals(underB)) {
                    emptyOrOversize += underA.dropReason().equals("short_key") ? 0 : 1;
                }
                for (Outcome outcome : List.of(underA, underB)) {
                    if (outcome.forwarded()) {
                        (outcome.upstream().equals("hash") ? mayReachHash : mayReachRr).add(datagram);
                    }
                }
                clients.get(random.nextInt(CLIENTS)).send(ByteBuffer.wrap(datagram), daemon.listenAddress());
                if (n % perReload == 0) {
                    // Not waiting for the datagrams in flight: the switch happens among them.
                    ControlPlane.replan(daemon, (n / perReload) % 2 == 1 ? b : a);
                    long sent = n;
                    Poll.until(Poll.DEFAULT_TIMEOUT, "all " + sent + " datagrams read and forwarded or dropped",
                            () -> counters.total(LoopCounter.RECEIVED_DATAGRAMS) == sent
                                    && forwarded(counters, hash, rr) + dropped(counters) == sent
                                    && arrived(hash, rr) == forwarded(counters, hash, rr));
                }
            }

            assertThat(counters.total(LoopCounter.RECEIVED_DATAGRAMS)).as("datagrams read").isEqualTo(DATAGRAMS);
            assertThat(forwarded(counters, hash, rr) + dropped(counters))
                    .as("forwarded (every peer that was ever configured) plus dropped, against datagrams read")
                    .isEqualTo(DATAGRAMS);
            assertThat(counters.dropped(DropReason.EMPTY) + counters.dropped(DropReason.OVERSIZE))
                    .as("empty and oversize drops, the same under both configurations").isEqualTo(emptyOrOversize);
            for (DropReason reason : List.of(DropReason.NO_ROUTE, DropReason.SESSION_LIMIT, DropReason.NO_PEER,
                    DropReason.SEND_ERROR, DropReason.FOREIGN_REPLY)) {
                assertThat(counters.dropped(reason)).as("drops as %s", reason.label()).isZero();
            }
            assertThat(arrived(hash).extraOver(mayReachHash))
                    .as("datagrams at hash peers that neither configuration sends there, or cut").isEmpty();
            assertThat(arrived(rr).extraOver(mayReachRr))
                    .as("datagrams at rr peers that neither configuration sends there, or cut").isEmpty();
            assertThat(hash.get(0).count()).as("datagrams at a hash peer only configuration A has").isPositive();
            assertThat(hash.get(2).count()).as("datagrams at a hash peer only configuration B has").isPositive();
            assertThat(daemon.isListening()).as("every listening socket is still open").isTrue();
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            for (DatagramChannel client : clients) {
                client.close();
            }
            hash.forEach(RecordingBackend::close);
            rr.forEach(RecordingBackend::close);
        }
    }

    /**
     * 4 MiB of receive buffer per listener, not the default: each step sends a burst of 200
     * datagrams of up to 512 bytes while the loops apply a reload, on a machine the other tests
     * share, and the test counts every datagram the daemon reads; what the kernel would drop at a
     * smaller buffer is another test's subject (OverflowTest).
     */
    private static StevedoreConfig config(ReferenceRoutes routes, List<RecordingBackend> hash,
            List<RecordingBackend> rr) throws Exception {
        boolean hashFirst = routes == A;
        String json = """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 2, "BufSize": %d, "RecvBufBytes": 4194304},
                  "Upload": {
                    "DefaultUpstream": "%s",
                    "Routes": [{"KeyBytes": "0:1", "Operator": "<", "Value": "0x80", "Upstream": "%s"}],
                    "Upstreams": [
                      {"Name": "hash", "Type": "chash", "KeyBytes": "0:4", "Peers": [%s]},
                      {"Name": "rr", "Type": "rr", "Peers": [%s]}
                    ]
                  }
                }
                """.formatted(BUF_SIZE, hashFirst ? "rr" : "hash", hashFirst ? "hash" : "rr", peers(hash), peers(rr));
        return ConfigLoader.parse(json).config();
    }

    private static String peers(List<RecordingBackend> backends) {
        return String.join(", ", backends.stream().map(b -> "{\"IP\": \"" + b.address().getAddress().getHostAddress()
                + "\", \"Port\": " + b.address().getPort() + "}").toList());
    }

    /** Summed by peer address over every peer ever configured, since a reload changes the current layout. */
    private static long forwarded(Counters counters, List<RecordingBackend> hash, List<RecordingBackend> rr) {
        long total = 0;
        for (RecordingBackend backend : hash) {
            total += counters.peer("hash", backend.address(), PeerCounter.FORWARDED_DATAGRAMS);
        }
        for (RecordingBackend backend : rr) {
            total += counters.peer("rr", backend.address(), PeerCounter.FORWARDED_DATAGRAMS);
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

    private static long arrived(List<RecordingBackend> hash, List<RecordingBackend> rr) {
        return hash.stream().mapToLong(RecordingBackend::count).sum()
                + rr.stream().mapToLong(RecordingBackend::count).sum();
    }

    private static Fingerprints arrived(List<RecordingBackend> backends) {
        Fingerprints all = new Fingerprints();
        backends.forEach(b -> b.received().addAllTo(all));
        return all;
    }
}
