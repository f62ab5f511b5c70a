package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.PeerKey;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docs/protocols.md's "DNS with the client's address": the real dig asks a real Unbound through
 * Stevedore, which puts a PROXY protocol v2 header before every query. Unbound's access control
 * allows one client address: dig from that address gets its answer, dig from another gets
 * REFUSED, although both queries reach Unbound from Stevedore's address. The health probes, which
 * carry a LOCAL header, are answered meanwhile.
 */
@ExtendWith(NettyLeakCheck.class)
class DnsClientAddressTest {

    /** In the zone the documented health probe asks about (health.stevedore.test). */
    private static final String NAME = "who.stevedore.test";
    private static final InetAddress ALLOWED = Loopback.address(71);
    private static final InetAddress OTHER = Loopback.address(72);
    private static final InetAddress ANSWER = Loopback.address(99);

    @Test
    void unboundAnswersTheAllowedClientAndRefusesAnotherThroughStevedore() throws Exception {
        InetAddress ip = Loopback.address(60);
        try (Unbound unbound = Unbound.start(new InetSocketAddress(ip, Loopback.freeUdpPort(ip)), ALLOWED, NAME, ANSWER);
                ControlPlane stevedore = ControlPlane.start(DocumentedConfig.load("DNS with the client's address",
                        Map.of(ip, unbound.address())))) {
            InetSocketAddress listen = stevedore.daemon().listenAddress();
            PeerKey peer = new PeerKey("resolvers", unbound.address());
            Poll.until(Duration.ofSeconds(10), "a health probe answered", () -> stevedore.probes().count(peer, true) > 0,
                    unbound::describe);

            String allowed = Dig.queryAFrom(ALLOWED, listen, NAME);
            assertThat(allowed).as(unbound.describe()).contains("status: NOERROR").contains(ANSWER.getHostAddress());
            String other = Dig.queryAFrom(OTHER, listen, NAME);
            assertThat(other).as(unbound.describe()).contains("status: REFUSED").doesNotContain(ANSWER.getHostAddress());

            assertThat(stevedore.probes().count(peer, false)).as("failed probes").isZero();
            assertThat(stevedore.daemon().upstreams().get(0).isUp(0)).as("the peer is up").isTrue();
        }
    }
}
