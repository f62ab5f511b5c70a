package io.stevedore.transport;

import static io.stevedore.testing.HealthTiming.SECOND;
import static io.stevedore.testing.HealthTiming.downWithin;
import static io.stevedore.transport.TestConfig.checked;
import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.quic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.health.HealthCheckers;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.testing.Poll;
import io.stevedore.demo.QuicPeers;
import io.stevedore.demo.Rebinder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 end to end with a real QUIC stack (Netty's codec: quiche and BoringSSL): three servers
 * on 127.0.0.2-4 issue QUIC-LB connection IDs carrying their own server IDs behind a {@code quic}
 * upstream; clients behind NATs open connections through Stevedore and exchange stream data. Each
 * NAT then moves its client to a new port mid-connection, and the connection goes on with the same
 * server; a server killed loses its connections, and the connections opened after go to the others.
 */
class QuicThroughStevedoreTest {

    private static final QuicLbConfig CONFIG = new QuicLbConfig(2, 3, 6,
            HexFormat.of().parseHex("4d9d0fd25a25e7f321ef464e13f9fc3c"));
    private static final String[] NAMES = {"alpha", "beta", "gamma"};
    private static final HealthCheckConfig CHECK = new HealthCheckConfig(1, 1, 1, 1,
            "heartbeat".getBytes(StandardCharsets.UTF_8), Optional.empty());
    private static final int CLIENTS = 6;

    private static byte[] serverId(int server) {
        return new byte[] {0x0a, 0x51, (byte) (server + 1)};
    }

    /** One client behind its own NAT, whose outside address is what Stevedore sees. */
    private record Connection(Rebinder nat, QuicPeers.Client client, String server) implements AutoCloseable {
        static Connection open(int n, Daemon daemon) throws Exception {
            Rebinder nat = new Rebinder("127.0.0.1", "127.1.0." + (n + 1), daemon.listenAddress(), datagram -> { });
            QuicPeers.Client client = new QuicPeers.Client("127.0.0.1", nat.address());
            String answer = client.exchange("hello " + n);
            return new Connection(nat, client, answer.substring(0, answer.indexOf(' ')));
        }

        @Override
        public void close() {
            client.close();
            nat.close();
        }
    }

    @Test
    void connectionsKeepTheirServerAcrossARebindingAndLeaveAServerThatDies() throws Exception {
        List<QuicPeers.Server> servers = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        Daemon daemon = null;
        HealthCheckers checkers = null;
        try {
            List<PeerConfig> peers = new ArrayList<>();
            for (int i = 0; i < NAMES.length; i++) {
                servers.add(new QuicPeers.Server("127.0.0." + (2 + i), NAMES[i], CONFIG, serverId(i)));
                peers.add(peer(servers.get(i).address(), serverId(i)));
            }
            daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("quic").parallel(2)
                    .upstream(checked(quic("quic", List.of(CONFIG), peers.toArray(new PeerConfig[0])), CHECK)).build());
            checkers = HealthCheckers.start(daemon.upstreams(), SECOND, daemon.peerStates());
            for (int n = 0; n < CLIENTS; n++) {
                connections.add(Connection.open(n, daemon));
            }
            assertThat(connections).extracting(Connection::server).allMatch(List.of(NAMES)::contains);
            assertThat(servers.stream().mapToInt(QuicPeers.Server::connections).sum()).isEqualTo(CLIENTS);

            for (Connection c : connections) {
                c.nat().rebind();
                assertThat(c.client().exchange("again")).as("after the NAT moved the client")
                        .isEqualTo(c.server() + " again");
            }
            assertThat(servers.stream().mapToInt(QuicPeers.Server::connections).sum())
                    .as("no connection was opened anew").isEqualTo(CLIENTS);
            Counters counters = daemon.counters();
            assertThat(counters.upstream("quic", PeerCounter.QUIC_SERVER_ID)).as("by server ID").isPositive();
            assertThat(counters.upstream("quic", PeerCounter.QUIC_FALLBACK)).as("the clients' Initials").isPositive();

            Connection victim = connections.get(0);
            int dead = List.of(NAMES).indexOf(victim.server());
            servers.get(dead).close();
            Upstream upstream = daemon.upstreams().get(0);
            Poll.until(downWithin(CHECK), "the killed server is down", () -> !upstream.isUp(dead));
            assertThat(catchThrowable(() -> victim.client().exchange("lost"))).as("its connection is gone")
                    .isNotNull();
            for (Connection c : connections) {
                if (!c.server().equals(victim.server())) {
                    assertThat(c.client().exchange("still")).isEqualTo(c.server() + " still");
                }
            }
            for (int n = CLIENTS; n < CLIENTS + 3; n++) {
                Connection fresh = Connection.open(n, daemon);
                connections.add(fresh);
                assertThat(fresh.server()).as("a connection opened after the kill").isNotEqualTo(victim.server());
            }
        } finally {
            for (Connection c : connections) {
                c.close();
            }
            if (checkers != null) {
                checkers.close();
            }
            if (daemon != null) {
                daemon.close();
            }
            servers.forEach(QuicPeers.Server::close);
        }
    }
}
