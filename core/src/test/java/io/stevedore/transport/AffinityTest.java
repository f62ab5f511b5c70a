package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.backup;
import static io.stevedore.transport.TestConfig.chash;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.peerIndex;
import static io.stevedore.transport.TestConfig.rr;
import static io.stevedore.transport.TestConfig.sessionAffinity;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.balancing.Upstream;
import io.stevedore.control.ControlPlane;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** How peer health changes what each session's datagrams reach. */
@ExtendWith(NettyLeakCheck.class)
class AffinityTest {

    @Test
    void sessionAffinityKeepsThePeerWhileItIsUpAndMovesOnlyWhenItGoesDown() throws Exception {
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(sessionAffinity(rr("pool", peer(a.address()), peer(b.address())))).build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream pool = daemon.upstreams().get(0);
            int first = client.request(new byte[] {0}).backend();
            for (int i = 1; i < 6; i++) {
                assertThat(client.request(new byte[] {(byte) i}).backend()).isEqualTo(first);
            }
            EchoBackend kept = first == 2 ? a : b;
            EchoBackend other = first == 2 ? b : a;
            pool.setPeerUp(peerIndex(pool, kept), false, "test");
            assertThat(client.request(new byte[] {9}).backend()).isEqualTo(other.id());
            pool.setPeerUp(peerIndex(pool, kept), true, "test");
            for (int i = 0; i < 3; i++) {
                assertThat(client.request(new byte[] {(byte) i}).backend())
                        .as("the new peer is kept even after the old one is back").isEqualTo(other.id());
            }
        }
    }

    @Test
    void aSessionKeptOnTheBackupReturnsToAPrimaryOnceOneRecovers() throws Exception {
        try (EchoBackend spare = EchoBackend.start("127.0.0.2", 1);
                EchoBackend b2 = EchoBackend.start("127.0.0.3", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.4", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .upstream(sessionAffinity(rr("pool", backup(spare.address()), peer(b2.address()),
                                peer(b3.address())))).build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream pool = daemon.upstreams().get(0);
            pool.setPeerUp(peerIndex(pool, b2), false, "test");
            pool.setPeerUp(peerIndex(pool, b3), false, "test");
            assertThat(client.request(new byte[] {0}).backend()).as("every primary down").isEqualTo(1);
            assertThat(client.request(new byte[] {1}).backend()).as("kept on the backup").isEqualTo(1);
            pool.setPeerUp(peerIndex(pool, b3), true, "test");
            assertThat(client.request(new byte[] {2}).backend()).as("a primary recovered").isEqualTo(3);
            assertThat(client.request(new byte[] {3}).backend()).as("the primary is now kept").isEqualTo(3);
            pool.setPeerUp(peerIndex(pool, b2), true, "test");
            assertThat(client.request(new byte[] {4}).backend()).as("still kept on its primary").isEqualTo(3);
            assertThat(spare.received()).isEqualTo(2);
        }
    }

    @Test
    void kcpConversationsMoveOffADownPrimaryAndTheBackupTakesOverWhenNoPrimaryIsLeft() throws Exception {
        try (EchoBackend spare = EchoBackend.start("127.0.0.2", 1);
                EchoBackend b2 = EchoBackend.start("127.0.0.3", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.4", 3);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("kcp")
                        .upstream(chash("kcp", 0, 4, backup(spare.address()), peer(b2.address()), peer(b3.address())))
                        .build());
                Client client = new Client(daemon.listenAddress())) {
            Upstream kcp = daemon.upstreams().get(0);
            int onB3 = 0;
            for (int conv = 0; conv < 50; conv++) {
                onB3 += client.request(ByteBuffer.allocate(24).putInt(conv).array()).backend() == 3 ? 1 : 0;
            }
            assertThat(onB3).as("conversations on 127.0.0.4 before it goes down").isPositive();
            kcp.setPeerUp(peerIndex(kcp, b3), false, "test");
            for (int conv = 0; conv < 50; conv++) {
                assertThat(client.request(ByteBuffer.allocate(24).putInt(conv).array()).backend())
                        .as("conversation %d with one primary left", conv).isEqualTo(2);
            }
            assertThat(spare.received()).isZero();
            kcp.setPeerUp(peerIndex(kcp, b2), false, "test");
            assertThat(client.request(ByteBuffer.allocate(24).putInt(7).array()).backend()).isEqualTo(1);
            kcp.setPeerUp(peerIndex(kcp, b3), true, "test");
            assertThat(client.request(ByteBuffer.allocate(24).putInt(7).array()).backend())
                    .as("traffic returns to a recovered primary").isEqualTo(3);
        }
    }
}
