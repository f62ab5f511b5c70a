package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real tftp-hpa clients fetch from and upload to two real tftpd-hpa servers through Stevedore, run
 * with the TFTP config of docs/protocols.md.
 * A TFTP server answers a request from a new port and expects the rest of the transfer there, so
 * every transfer longer than one block only completes if Stevedore relays replies from any port of
 * the peer (unconnected session socket), keeps the session on one server ({@code Affinity:
 * session}) and sends the client's acknowledgements to the port the server chose ({@code Latch}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NettyLeakCheck.class)
class TftpThroughStevedoreTest {

    private static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(60);
    private static final String UPSTREAM = "tftp";
    private static final List<String> SERVERS = List.of("tftpd-a", "tftpd-b");

    private final List<Tftpd> servers = new ArrayList<>();
    private Stevedore stevedore;
    private Path tmp;
    private Path originals;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        this.tmp = tmp;
        originals = Files.createDirectory(tmp.resolve("originals"));
        for (int size : new int[] {0, 511, 512, 513, 1 << 20, 8 << 20}) {
            TestData.writeFile(originals, fileName(size), size);
        }
        // Both servers listen on the same port of their own address, as a replicated pair would.
        int port = Loopback.freeUdpPort(Loopback.address(2), Loopback.address(3));
        for (int i = 0; i < SERVERS.size(); i++) {
            String name = SERVERS.get(i);
            Path root = Files.createDirectory(tmp.resolve(name));
            try (var files = Files.list(originals)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.copy(file, root.resolve(file.getFileName()));
                }
            }
            Files.writeString(root.resolve("whoami.txt"), name, StandardCharsets.US_ASCII);
            servers.add(Tftpd.start(name, new InetSocketAddress(Loopback.address(2 + i), port), root));
        }
        stevedore = Stevedore.start(DocumentedConfig.load("TFTP", Map.of(
                servers.get(0).address().getAddress(), servers.get(0).address(),
                servers.get(1).address().getAddress(), servers.get(1).address())));
    }

    @AfterAll
    void stop() {
        if (stevedore != null) {
            stevedore.close();
        }
        servers.forEach(Tftpd::close);
    }

    private static String fileName(int size) {
        return "file-" + size + ".bin";
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 511, 512, 513, 1 << 20, 8 << 20})
    void fileArrivesByteIdentical(int size) throws Exception {
        Path fetched = tmp.resolve("fetched-" + size);
        long repliesBefore = stevedore.counters().upstream(UPSTREAM, PeerCounter.REPLIED_DATAGRAMS);
        try (TftpClient tftp = TftpClient.get(stevedore.address(), fileName(size), fetched)) {
            assertThat(tftp.awaitSuccess(TRANSFER_TIMEOUT)).as(describe()).isEqualTo(size);
        }
        assertThat(TestData.sha256(fetched)).isEqualTo(TestData.sha256(originals.resolve(fileName(size))));
        // One DATA block per 512 bytes and a short (maybe empty) last one, each relayed by Stevedore.
        assertThat(stevedore.counters().upstream(UPSTREAM, PeerCounter.REPLIED_DATAGRAMS) - repliesBefore)
                .as("DATA blocks relayed").isGreaterThanOrEqualTo(size / 512 + 1);
    }

    @Test
    void sessionsAreSpreadOverBothServers() throws Exception {
        // Each tftp process is a new client port, so a new session and a new round-robin pick; with
        // two listening sockets, four sessions put at least two on one socket, which alternates.
        Set<String> answeredBy = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            Path fetched = tmp.resolve("whoami-" + i);
            try (TftpClient tftp = TftpClient.get(stevedore.address(), "whoami.txt", fetched)) {
                tftp.awaitSuccess(TRANSFER_TIMEOUT);
            }
            answeredBy.add(Files.readString(fetched, StandardCharsets.US_ASCII));
        }
        assertThat(answeredBy).containsExactlyInAnyOrderElementsOf(SERVERS);
    }

    @Test
    void fourClientsInParallel() throws Exception {
        long[] forwardedBefore = {stevedore.forwardedTo(UPSTREAM, 0), stevedore.forwardedTo(UPSTREAM, 1)};
        String file = fileName(8 << 20);
        List<TftpClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                clients.add(TftpClient.get(stevedore.address(), file, tmp.resolve("parallel-" + i)));
            }
            for (TftpClient client : clients) {
                assertThat(client.awaitSuccess(TRANSFER_TIMEOUT)).as(describe()).isEqualTo(8 << 20);
            }
        } finally {
            clients.forEach(TftpClient::close);
        }
        String expected = TestData.sha256(originals.resolve(file));
        for (int i = 0; i < 4; i++) {
            assertThat(TestData.sha256(tmp.resolve("parallel-" + i))).as("client " + i).isEqualTo(expected);
        }
        assertThat(stevedore.forwardedTo(UPSTREAM, 0)).as("datagrams to " + SERVERS.get(0)).isGreaterThan(forwardedBefore[0]);
        assertThat(stevedore.forwardedTo(UPSTREAM, 1)).as("datagrams to " + SERVERS.get(1)).isGreaterThan(forwardedBefore[1]);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 513, 1 << 20})
    void uploadLandsWholeOnOneServer(int size) throws Exception {
        String remote = "upload-" + size + ".bin";
        Path original = originals.resolve(fileName(size));
        try (TftpClient tftp = TftpClient.put(stevedore.address(), original, remote)) {
            assertThat(tftp.awaitSuccess(TRANSFER_TIMEOUT)).as(describe()).isEqualTo(size);
        }
        List<Path> stored = new ArrayList<>();
        for (Tftpd server : servers) {
            Path candidate = server.root().resolve(remote);
            if (Files.exists(candidate)) {
                stored.add(candidate);
            }
        }
        assertThat(stored).as("servers holding " + remote).hasSize(1);
        assertThat(TestData.sha256(stored.get(0))).isEqualTo(TestData.sha256(original));
    }

    @Test
    void blocksLargerThanBufSizeAreDroppedAsOversize() throws Exception {
        // BufSize (4096 here) bounds replies too: a server that agrees to 8192-byte blocks sends
        // DATA packets Stevedore will not relay truncated, so it drops and counts each one.
        long before = stevedore.dropped("oversize");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(Loopback.CLIENT, 0))) {
            client.setSoTimeout(5_000);
            send(client, TftpPackets.readRequest(fileName(1 << 20), "blksize", "8192"));
            byte[] buffer = new byte[65536];
            client.receive(new DatagramPacket(buffer, buffer.length));
            assertThat(TftpPackets.opcode(buffer)).as("option acknowledgement").isEqualTo(TftpPackets.OACK);
            send(client, TftpPackets.ack(0));
            Poll.until(Duration.ofSeconds(10), "an 8196-byte DATA packet dropped as oversize",
                    () -> stevedore.dropped("oversize") > before, this::describe);
            send(client, TftpPackets.error("test over"));
        }
    }

    private void send(DatagramSocket client, byte[] packet) throws IOException {
        client.send(new DatagramPacket(packet, packet.length, stevedore.address()));
    }

    private String describe() {
        StringBuilder text = new StringBuilder("drops: ");
        for (DropReason reason : DropReason.values()) {
            text.append(reason.label()).append('=').append(stevedore.counters().dropped(reason)).append(' ');
        }
        servers.forEach(server -> text.append('\n').append(server.describe()));
        return text.toString();
    }

}
