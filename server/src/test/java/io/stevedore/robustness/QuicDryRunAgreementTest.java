package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.dryrun.Decision;
import io.stevedore.dryrun.DryRun;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.quic.ServerIdCodec;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code stevedore route --from} decides as the daemon does for a {@code quic} upstream: random
 * QUIC-shaped datagrams (connection IDs of every peer under each configuration, of no peer, of no
 * configuration, cut short, and plain garbage) from several clients go through a real daemon, and
 * every peer holds exactly what the dry run sent it, the fallbacks included.
 */
@ExtendWith(NettyLeakCheck.class)
class QuicDryRunAgreementTest {

    private static final int DATAGRAMS = 3_000;
    private static final int CLIENTS = 6;
    private static final byte[] KEY = HexFormat.of().parseHex("fdf726a9893ec05c0632d3956680baf0");
    private static final List<QuicLbConfig> CONFIGS = List.of(QuicLbConfig.plaintext(0, 2, 5),
            new QuicLbConfig(3, 2, 14, KEY), new QuicLbConfig(5, 2, 7, KEY));

    @Test
    void theDryRunAndTheDaemonAgreeOnEveryQuicDatagram() throws Exception {
        Random random = new Random(16);
        List<RecordingBackend> backends = new ArrayList<>();
        List<DatagramChannel> clients = new ArrayList<>();
        Daemon daemon = null;
        try {
            for (int i = 0; i < 4; i++) {
                backends.add(RecordingBackend.start("127.0.0." + (2 + i), 2 + i));
            }
            StevedoreConfig config = config(backends);
            DryRun dryRun = new DryRun(config);
            daemon = ControlPlane.startDataPlane(config);
            for (int i = 0; i < CLIENTS; i++) {
                DatagramChannel client = DatagramChannel.open();
                client.bind(new InetSocketAddress("127.0." + (1 + i) + ".1", 0));
                clients.add(client);
            }
            DryRunLedger ledger = new DryRunLedger();
            long byServerId = 0;
            Counters counters = daemon.counters();
            for (int n = 1; n <= DATAGRAMS; n++) {
                byte[] datagram = datagram(random);
                DatagramChannel client = clients.get(random.nextInt(CLIENTS));
                Decision decision = dryRun.decide(datagram, (InetSocketAddress) client.getLocalAddress());
                ledger.record(decision, datagram);
                byServerId += decision.peer() != null && decision.balancing().contains("carries the server ID") ? 1 : 0;
                client.send(ByteBuffer.wrap(datagram), daemon.listenAddress());
                if (n % 200 == 0) {
                    DryRunLedger.settle(n, counters, backends);
                }
            }
            ledger.assertTheDaemonAgreed(counters, backends);
            assertThat(counters.upstream("q", PeerCounter.QUIC_SERVER_ID)).isEqualTo(byServerId);
            assertThat(counters.upstream("q", PeerCounter.QUIC_FALLBACK))
                    .isEqualTo(DryRunLedger.arrived(backends) - byServerId).isPositive();
            assertThat(ledger.expectedAt).as("every peer, the backup by its server ID").hasSize(4);
        } finally {
            DryRunLedger.close(daemon, clients, backends);
        }
    }

    /** A short or long header to a connection ID of a random server ID (a peer's, mostly), cut or garbled at times. */
    private static byte[] datagram(Random random) {
        if (random.nextInt(10) == 0) {
            byte[] garbage = new byte[random.nextInt(30)];
            random.nextBytes(garbage);
            return garbage;
        }
        QuicLbConfig config = CONFIGS.get(random.nextInt(CONFIGS.size()));
        byte[] serverId = {0x51, (byte) (random.nextInt(5) == 0 ? random.nextInt(256) : 2 + random.nextInt(4))};
        byte[] nonce = new byte[config.nonceLength()];
        random.nextBytes(nonce);
        byte[] cid = new ServerIdCodec(config).encode(serverId, nonce, random.nextBoolean());
        if (random.nextInt(8) == 0) {
            cid[0] = (byte) (random.nextInt(8) << 5 | cid[0] & 0x1F);
        }
        boolean longHeader = random.nextBoolean();
        int header = longHeader ? 6 : 1;
        byte[] datagram = new byte[header + cid.length + random.nextInt(40)];
        random.nextBytes(datagram);
        datagram[0] = (byte) (longHeader ? 0xC0 | datagram[0] & 0x3F : 0x40 | datagram[0] & 0x3F);
        if (longHeader) {
            datagram[5] = (byte) (random.nextInt(6) == 0 ? random.nextInt(21) : cid.length);
        }
        System.arraycopy(cid, 0, datagram, header, cid.length);
        int cut = random.nextInt(12) == 0 ? random.nextInt(datagram.length) : datagram.length;
        return Arrays.copyOf(datagram, cut);
    }

    /** Three primaries and a backup, each with its server ID 0x51NN. */
    private static StevedoreConfig config(List<RecordingBackend> b) throws Exception {
        String json = """
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 2},
                  "Upload": {
                    "DefaultUpstream": "q",
                    "Upstreams": [{"Name": "q", "Type": "quic", "TableSize": 251,
                      "QuicLB": [{"ConfigId": 0, "ServerIdLength": 2, "NonceLength": 5},
                                 {"ConfigId": 3, "ServerIdLength": 2, "NonceLength": 14, "Key": "0x%s"},
                                 {"ConfigId": 5, "ServerIdLength": 2, "NonceLength": 7, "Key": "0x%1$s"}],
                      "Peers": [%s, %s, %s, %s]}]
                  }
                }
                """.formatted(HexFormat.of().formatHex(KEY), peer(b.get(0), ""), peer(b.get(1), ""), peer(b.get(2), ""),
                peer(b.get(3), ", \"Backup\": true"));
        return ConfigLoader.parse(json).config();
    }

    private static String peer(RecordingBackend backend, String extra) {
        return "{\"IP\": \"" + backend.address().getAddress().getHostAddress() + "\", \"Port\": "
                + backend.address().getPort() + ", \"ServerId\": \"0x51%02x\"".formatted(backend.address().getAddress().getAddress()[3])
                + extra + "}";
    }
}
