package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.DropReason;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The seed's protocol-version example: {@code KeyBytes "4:6" == 0x01} goes to {@code ver1},
 * {@code == 0x02} to {@code ver2}, anything else meets the {@code deny} default and is dropped.
 */
@ExtendWith(NettyLeakCheck.class)
class VersionRoutingTest {

    /** flag, ver, cmd, session id, len, checksum. */
    private static byte[] header(int version, long sessionId) {
        return ByteBuffer.allocate(24).putInt(0).putShort((short) version).putShort((short) 1)
                .putLong(sessionId).putInt(0).putInt(0).array();
    }

    @Test
    void versionsReachTheirClusterAndUnknownVersionsAreDroppedAndCounted() throws Exception {
        try (EchoBackend v1a = EchoBackend.start("127.0.0.2", 11);
                EchoBackend v1b = EchoBackend.start("127.0.0.3", 12);
                EchoBackend v2a = EchoBackend.start("127.0.0.4", 21);
                EchoBackend v2b = EchoBackend.start("127.0.0.5", 22);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("deny")
                        .routeEquals(4, 6, new byte[] {0, 1}, "ver1")
                        .routeEquals(4, 6, new byte[] {0, 2}, "ver2")
                        .upstream(rr("ver1", peer(v1a.address()), peer(v1b.address())))
                        .upstream(rr("ver2", peer(v2a.address()), peer(v2b.address())))
                        .build());
                Client client = new Client(daemon.listenAddress())) {
            for (int i = 0; i < 10; i++) {
                assertThat(client.request(header(1, i)).backend()).isIn(11, 12);
                assertThat(client.request(header(2, i)).backend()).isIn(21, 22);
            }
            assertThat(v1a.received()).isEqualTo(5);
            assertThat(v1b.received()).isEqualTo(5);
            assertThat(v2a.received()).isEqualTo(5);

            client.send(header(3, 1));
            client.send(header(0, 1));
            client.send(header(0x0101, 1));
            client.send(new byte[] {0, 0, 0, 0, 0}); // too short for 4:6: no route matches
            Poll.equal("no_route drops", 4, () -> daemon.counters().dropped("no_route"));

            // Nothing of the dropped datagrams comes back: the next datagram the client sees
            // answers its next request.
            assertThat(client.request(header(2, 99)).backend()).isIn(21, 22);
            assertThat(v1a.received() + v1b.received() + v2a.received() + v2b.received()).isEqualTo(21);
            for (DropReason reason : DropReason.values()) {
                if (reason != DropReason.NO_ROUTE) {
                    assertThat(daemon.counters().dropped(reason)).as(reason.label()).isZero();
                }
            }
        }
    }
}
