package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.backup;
import static io.stevedore.transport.TestConfig.chash;
import static io.stevedore.transport.TestConfig.peer;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The seed's KCP example: upstream {@code kcp}, {@code chash} on the 4-byte {@code conv}, two
 * primaries and a backup. One client socket carries several conversations.
 */
@ExtendWith(NettyLeakCheck.class)
class KcpScenarioTest {

    private static final int CLIENTS = 200;
    private static final int CONVERSATIONS = 5;
    private static final int ROUNDS = 3;

    /** A KCP segment: conv, cmd, frg, wnd, ts, sn, una, len, then no data. */
    private static byte[] kcpSegment(int conv, int sn) {
        return ByteBuffer.allocate(24).putInt(conv).put((byte) 81).put((byte) 0).putShort((short) 128)
                .putInt(0).putInt(sn).putInt(0).putInt(0).array();
    }

    @Test
    void everyConversationStaysOnOneBackendAndOneClientReachesSeveral() throws Exception {
        try (EchoBackend spare = EchoBackend.start("127.0.0.2", 1);
                EchoBackend b2 = EchoBackend.start("127.0.0.3", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.4", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).defaultUpstream("kcp")
                        .upstream(chash("kcp", 0, 4, backup(spare.address()), peer(b2.address()), peer(b3.address())))
                        .build())) {
            List<Client> clients = new ArrayList<>();
            try {
                for (int c = 0; c < CLIENTS; c++) {
                    clients.add(new Client(daemon.listenAddress()));
                }
                Map<Integer, Integer> backendOfConv = new HashMap<>();
                for (int round = 0; round < ROUNDS; round++) {
                    for (int c = 0; c < CLIENTS; c++) {
                        Client client = clients.get(c);
                        for (int j = 0; j < CONVERSATIONS; j++) {
                            client.send(kcpSegment(c * CONVERSATIONS + j, round));
                        }
                        for (int j = 0; j < CONVERSATIONS; j++) {
                            Client.Reply reply = client.awaitReply();
                            int conv = ByteBuffer.wrap(reply.payload()).getInt();
                            Integer before = backendOfConv.putIfAbsent(conv, reply.backend());
                            assertThat(before == null ? reply.backend() : before)
                                    .as("backend of conversation %d in round %d", conv, round)
                                    .isEqualTo(reply.backend());
                        }
                    }
                }
                assertThat(backendOfConv).hasSize(CLIENTS * CONVERSATIONS);
                assertThat(new HashSet<>(backendOfConv.values())).containsExactlyInAnyOrder(2, 3);

                int clientsOnSeveralBackends = 0;
                for (int c = 0; c < CLIENTS; c++) {
                    Set<Integer> backends = new HashSet<>();
                    for (int j = 0; j < CONVERSATIONS; j++) {
                        backends.add(backendOfConv.get(c * CONVERSATIONS + j));
                    }
                    clientsOnSeveralBackends += backends.size() > 1 ? 1 : 0;
                }
                // With two primaries, 5 conversations all land on one with probability 1/16: the
                // keys are fixed, so this count is too.
                assertThat(clientsOnSeveralBackends).isGreaterThan(CLIENTS * 3 / 4);

                assertThat(spare.received()).as("datagrams at the backup while both primaries live").isZero();
                assertThat(b2.received() + b3.received()).isEqualTo((long) CLIENTS * CONVERSATIONS * ROUNDS);
                assertThat(daemon.sessionCount()).isEqualTo(CLIENTS);
            } finally {
                clients.forEach(Client::close);
            }
        }
    }
}
