package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class ForwardingSmokeTest {

    @Test
    void aDatagramReachesThePeerAndTheReplyReachesTheClient() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            Client.Reply reply = client.request(hello);
            assertThat(reply.backend()).isEqualTo(2);
            assertThat(reply.from()).isEqualTo(daemon.listenAddress());
            assertThat(daemon.counters().peer("echo", 0, PeerCounter.FORWARDED_DATAGRAMS)).isEqualTo(1);
            Poll.equal("replied", 1, () -> daemon.counters().peer("echo", 0, PeerCounter.REPLIED_DATAGRAMS));
            assertThat(daemon.sessionCount()).isEqualTo(1);
            assertThat(daemon.transport()).isEqualTo(Transport.EPOLL);
        }
    }
}
