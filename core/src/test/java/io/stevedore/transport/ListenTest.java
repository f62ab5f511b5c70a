package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class ListenTest {

    private static StevedoreConfig config(int port, int parallel, EchoBackend backend) {
        return new TestConfig().listen("127.0.0.1", port).parallel(parallel).defaultUpstream("echo")
                .upstream(rr("echo", peer(backend.address()))).build();
    }

    @Test
    void anAddressInUseIsAClearErrorEvenWithReusePort() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon first = ControlPlane.startDataPlane(config(0, 2, backend))) {
            int port = first.listenAddress().getPort();
            for (int parallel : new int[] {1, 2}) {
                assertThatThrownBy(() -> ControlPlane.startDataPlane(config(port, parallel, backend)))
                        .isInstanceOf(ListenException.class)
                        .hasMessage("cannot listen on 127.0.0.1:" + port + ": address already in use");
            }
        }
    }

    @Test
    void closeIsIdempotentAndReleasesThePort() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2)) {
            Daemon daemon = ControlPlane.startDataPlane(config(0, 2, backend));
            int port = daemon.listenAddress().getPort();
            try (Client client = new Client(daemon.listenAddress())) {
                client.request("x".getBytes(StandardCharsets.US_ASCII));
            }
            daemon.close();
            daemon.close();
            try (Daemon again = ControlPlane.startDataPlane(config(port, 2, backend))) {
                assertThat(again.listenAddress().getPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void theNioFallbackForwardsAndDropsOversizeDatagrams() throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).bufSize(50).defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build(), Transport.NIO);
                Client client = new Client(daemon.listenAddress())) {
            assertThat(daemon.transport()).isEqualTo(Transport.NIO);
            client.send(new byte[51]);
            Poll.equal("oversize drops", 1, () -> daemon.counters().dropped("oversize"));
            for (int i = 0; i < 5; i++) {
                assertThat(client.request(new byte[] {(byte) i}).backend()).isEqualTo(2);
            }
        }
    }
}
