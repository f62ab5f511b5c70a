package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class Ipv6Test {

    @Test
    void anIpv6ListenerOnLoopbackForwardsToAnIpv6Peer() throws Exception {
        try (EchoBackend backend = EchoBackend.start("::1", 6);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).parallel(2).defaultUpstream("v6")
                        .upstream(rr("v6", peer(backend.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            assertThat(daemon.listenAddress().getAddress()).isInstanceOf(Inet6Address.class);
            assertThat(daemon.loops()).isEqualTo(2);
            assertThat(daemon.listenAddresses()).containsExactly(daemon.listenAddress());
            for (int i = 0; i < 5; i++) {
                Client.Reply reply = client.request(("v6 " + i).getBytes(StandardCharsets.US_ASCII));
                assertThat(reply.backend()).isEqualTo(6);
                assertThat(reply.from()).isEqualTo(daemon.listenAddress());
            }
        }
    }

    @Test
    void anIpv6ListenerReachesIpv4AndIpv6PeersFromOneSession() throws Exception {
        try (EchoBackend v4 = EchoBackend.start("127.0.0.2", 4);
                EchoBackend v6 = EchoBackend.start("::1", 6);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).defaultUpstream("mixed")
                        .upstream(rr("mixed", peer(v4.address()), peer(v6.address()))).build());
                Client client = new Client(daemon.listenAddress())) {
            assertThat(client.request(new byte[] {1}).backend()).isEqualTo(4);
            assertThat(client.request(new byte[] {2}).backend()).isEqualTo(6);
            assertThat(daemon.counters().dropped("foreign_reply")).isZero();
        }
    }
}
