package io.stevedore.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.stevedore.demo.QuicPeers;
import io.stevedore.demo.Rebinder;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A real QUIC stack (Netty's codec: quiche and BoringSSL) issuing QUIC-LB connection IDs: every
 * packet its client sends once the handshake has given it the server's ID routes to that server,
 * also after the client's NAT has moved it to another port.
 */
class QuicStackTest {

    @Test
    void aRealServersConnectionIdsRouteToItBeforeAndAfterARebinding() throws Exception {
        byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        QuicLbConfig config = new QuicLbConfig(1, 3, 5, key);
        byte[] serverId = HexFormat.of().parseHex("0a0b0c");
        ServerIdRouter router = new ServerIdRouter(List.of(config), List.of(HexFormat.of().parseHex("010203"), serverId));
        AtomicInteger shortHeaders = new AtomicInteger();
        AtomicInteger routedToServer = new AtomicInteger();
        try (QuicPeers.Server server = new QuicPeers.Server("127.0.0.2", "alpha", config, serverId);
                Rebinder nat = new Rebinder("127.0.0.1", "127.0.0.1", server.address(), datagram -> {
                    if ((datagram[0] & 0x80) == 0) {
                        shortHeaders.incrementAndGet();
                        if (router.route(Unpooled.wrappedBuffer(datagram)) == 1) {
                            routedToServer.incrementAndGet();
                        }
                    }
                });
                QuicPeers.Client client = new QuicPeers.Client("127.0.0.1", nat.address())) {
            assertThat(client.exchange("hello")).isEqualTo("alpha hello");
            nat.rebind();
            assertThat(client.exchange("again")).isEqualTo("alpha again");
            assertThat(server.connections()).isEqualTo(1);
        }
        assertThat(shortHeaders.get()).isPositive();
        assertThat(routedToServer.get()).as("short-header packets that route to the server").isEqualTo(shortHeaders.get());
    }
}
