package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * KCP conversations (kcp-netty's port of the reference ikcp.c) through Stevedore to three KCP
 * echo backends, run with the KCP config of docs/protocols.md: {@code chash} on bytes 0..4, the conv id. One client socket carries two
 * conversations: each must reach one backend and stay there, whatever the other one does.
 */
@ExtendWith(NettyLeakCheck.class)
class KcpThroughStevedoreTest {

    private static final String UPSTREAM = "kcp";
    private static final int PAYLOAD = 4 << 20;
    private static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(60);

    private final List<KcpEchoServer> servers = new ArrayList<>();
    private UpstreamConfig upstream;
    private Stevedore stevedore;
    private KcpClient client;

    @BeforeEach
    void start() throws Exception {
        Map<InetAddress, InetSocketAddress> byIp = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            KcpEchoServer server = KcpEchoServer.start("kcp-backend-" + i, new InetSocketAddress(Loopback.address(2 + i), 0));
            servers.add(server);
            byIp.put(server.localAddress().getAddress(), server.localAddress());
        }
        stevedore = Stevedore.start(DocumentedConfig.load("KCP", byIp));
        upstream = stevedore.upstream(UPSTREAM);
        client = KcpClient.start(stevedore.address());
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (stevedore != null) {
            stevedore.close();
        }
        servers.forEach(KcpEchoServer::close);
    }

    @Test
    void twoConversationsOnOneClientPortLandOnDifferentBackendsAndStayThere() throws Exception {
        int[] convs = convsOnDistinctPeers();
        byte[] first = TestData.bytes("conversation-" + convs[0], PAYLOAD);
        byte[] second = TestData.bytes("conversation-" + convs[1], PAYLOAD);

        KcpClient.Transfer one = client.transfer(convs[0], first);
        KcpClient.Transfer two = client.transfer(convs[1], second);

        assertThat(one.awaitEchoDigest(TRANSFER_TIMEOUT)).as(describe()).isEqualTo(TestData.sha256(first));
        assertThat(two.awaitEchoDigest(TRANSFER_TIMEOUT)).as(describe()).isEqualTo(TestData.sha256(second));
        assertThat(stevedore.counters().sessions()).as("sessions for one client port").isEqualTo(1);
        int peerOne = peerOf(convs[0]);
        int peerTwo = peerOf(convs[1]);
        for (int i = 0; i < servers.size(); i++) {
            Map<Integer, Long> seen = servers.get(i).datagramsByConv();
            if (i == peerOne) {
                assertThat(seen).as(describe()).containsOnlyKeys(convs[0]);
            } else if (i == peerTwo) {
                assertThat(seen).as(describe()).containsOnlyKeys(convs[1]);
            } else {
                assertThat(seen).as(describe()).isEmpty();
            }
        }
    }

    @Test
    void whenOneConversationsBackendDiesTheOtherCompletesUndisturbed() throws Exception {
        int[] convs = convsOnDistinctPeers();
        byte[] survivorPayload = TestData.bytes("survivor-" + convs[0], PAYLOAD);
        byte[] victimPayload = TestData.bytes("victim-" + convs[1], PAYLOAD);
        KcpEchoServer victimBackend = servers.get(peerOf(convs[1]));

        // Both hold halfway, so each is certainly in mid conversation when the victim's backend
        // dies; then both go on.
        KcpClient.Transfer survivor = client.transferHeld(convs[0], survivorPayload, PAYLOAD / 2);
        KcpClient.Transfer victim = client.transferHeld(convs[1], victimPayload, PAYLOAD / 2);
        Poll.until(Duration.ofSeconds(30), "both conversations halfway",
                () -> survivor.echoed() == PAYLOAD / 2 && victim.echoed() == PAYLOAD / 2, this::describe);
        victimBackend.close();
        survivor.resume();
        victim.resume();

        assertThat(survivor.awaitEchoDigest(TRANSFER_TIMEOUT)).as(describe()).isEqualTo(TestData.sha256(survivorPayload));
        assertThat(victim.isDone()).as("conv " + convs[1] + ", whose backend is gone").isFalse();
        for (int i = 0; i < servers.size(); i++) {
            if (i != peerOf(convs[0])) {
                assertThat(servers.get(i).datagrams(convs[0])).as("conv " + convs[0] + " at " + servers.get(i)).isZero();
            }
        }
    }

    /**
     * Two conv ids that Maglev puts on different peers. The table is a pure function of the peers,
     * so the core's own selector predicts what the daemon will do, and the backends confirm it.
     */
    private int[] convsOnDistinctPeers() {
        int first = 1;
        for (int conv = 2; conv < 1000; conv++) {
            if (peerOf(conv) != peerOf(first)) {
                return new int[] {first, conv};
            }
        }
        throw new AssertionError("conv ids 1..999 all hash to one peer");
    }

    private int peerOf(int conv) {
        Selector selector = Upstream.of(upstream).newSelector();
        ByteBuf header = Unpooled.buffer(24).writeIntLE(conv).writeZero(20);
        try {
            return selector.select(header);
        } finally {
            header.release();
        }
    }

    private String describe() {
        StringBuilder text = new StringBuilder("client failure: " + client.failure());
        for (int i = 0; i < servers.size(); i++) {
            text.append("\n").append(servers.get(i)).append(" datagrams by conv ").append(servers.get(i).datagramsByConv())
                    .append(", forwarded to it ").append(stevedore.forwardedTo(UPSTREAM, i))
                    .append(", failure ").append(servers.get(i).failure());
        }
        return text.toString();
    }
}
