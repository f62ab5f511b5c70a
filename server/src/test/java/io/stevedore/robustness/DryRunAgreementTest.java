package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.dryrun.DryRun;
import io.stevedore.metrics.Counters;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 18: {@code stevedore route} decides as the running daemon does. Thousands of random
 * datagrams (every size around the routes' fields, the hash keys and BufSize; route values planted)
 * go through a real daemon; each one's dry run names a peer or a drop reason, and every peer then
 * holds exactly the datagrams the dry run sent it, and every drop counter the dry run's count.
 */
@ExtendWith(NettyLeakCheck.class)
class DryRunAgreementTest {

    private static final int DATAGRAMS = 5_000;
    private static final int BUF_SIZE = 256;
    private static final int CLIENTS = 8;

    @Test
    void theDryRunAndTheDaemonAgreeOnEveryDatagram() throws Exception {
        Random random = new Random(18);
        List<RecordingBackend> backends = new ArrayList<>();
        List<DatagramChannel> clients = new ArrayList<>();
        Daemon daemon = null;
        try {
            for (int i = 0; i < 7; i++) {
                backends.add(RecordingBackend.start("127.0.0." + (2 + i % 4), 2 + i));
            }
            StevedoreConfig config = config(backends);
            DryRun dryRun = new DryRun(config);
            daemon = ControlPlane.startDataPlane(config);
            for (int i = 0; i < CLIENTS; i++) {
                DatagramChannel client = DatagramChannel.open();
                client.bind(new InetSocketAddress("127.0." + (1 + i % 4) + ".1", 0));
                clients.add(client);
            }
            DryRunLedger ledger = new DryRunLedger();
            Counters counters = daemon.counters();
            for (int n = 1; n <= DATAGRAMS; n++) {
                byte[] datagram = datagram(random);
                ledger.record(dryRun.decide(datagram, null), datagram);
                clients.get(random.nextInt(CLIENTS)).send(ByteBuffer.wrap(datagram), daemon.listenAddress());
                if (n % 200 == 0) {
                    DryRunLedger.settle(n, counters, backends);
                }
            }
            ledger.assertTheDaemonAgreed(counters, backends);
            assertThat(ledger.expectedDrops).as("the mix reached every drop a datagram's bytes can cause")
                    .containsKeys("empty", "oversize", "no_route", "short_key");
            assertThat(ledger.expectedAt).as("the mix reached every primary").hasSize(5);
        } finally {
            DryRunLedger.close(daemon, clients, backends);
        }
    }

    /** Random bytes of a size around a field's end or BufSize; the first byte often a routed version. */
    private static byte[] datagram(Random random) {
        int[] edges = {0, 1, 2, 4, 5, 9, 12, 13, 20, BUF_SIZE - 1, BUF_SIZE, BUF_SIZE + 1};
        int size = random.nextInt(4) == 0 ? random.nextInt(BUF_SIZE + 40) : Math.max(0, edges[random.nextInt(edges.length)]);
        byte[] datagram = new byte[size];
        random.nextBytes(datagram);
        if (size > 0 && random.nextBoolean()) {
            datagram[0] = (byte) (1 + random.nextInt(4));
        }
        return datagram;
    }

    /**
     * Version 1 → a chash upstream keyed on bytes 1..5, version 2 → one keyed on 4..12, 3 → a
     * single-peer rr upstream, bytes 8..9 ≥ 0xf0 → the first chash upstream again; the rest denied.
     */
    private static StevedoreConfig config(List<RecordingBackend> b) throws Exception {
        String json = """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 2, "BufSize": %d},
                  "Upload": {
                    "DefaultUpstream": "deny",
                    "Routes": [
                      {"KeyBytes": "0:1", "Operator": "==", "Value": "0x01", "Upstream": "a"},
                      {"KeyBytes": "0:1", "Operator": "==", "Value": "0x02", "Upstream": "b"},
                      {"KeyBytes": "0:1", "Operator": "==", "Value": "0x03", "Upstream": "one"},
                      {"KeyBytes": "8:9", "Operator": ">=", "Value": "0xf0", "Upstream": "a"}
                    ],
                    "Upstreams": [
                      {"Name": "a", "Type": "chash", "KeyBytes": "1:5", "TableSize": 251, "Peers": [%s, %s, %s]},
                      {"Name": "b", "Type": "chash", "KeyBytes": "4:12", "Peers": [%s, %s, %s]},
                      {"Name": "one", "Type": "rr", "Peers": [%s]}
                    ]
                  }
                }
                """.formatted(BUF_SIZE, peer(b.get(0), ""), peer(b.get(1), ", \"Weight\": 3"),
                peer(b.get(2), ", \"Backup\": true"), peer(b.get(3), ""), peer(b.get(4), ""),
                peer(b.get(5), ", \"Backup\": true"), peer(b.get(6), ""));
        return ConfigLoader.parse(json).config();
    }

    private static String peer(RecordingBackend backend, String extra) {
        return "{\"IP\": \"" + backend.address().getAddress().getHostAddress() + "\", \"Port\": "
                + backend.address().getPort() + extra + "}";
    }
}
