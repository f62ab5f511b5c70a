package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code Session.SourceAddrs}: each new session socket is bound to the next address in turn, so a
 * peer sees sessions arrive from those addresses; a reload changes the addresses of new sessions
 * only; an address that cannot be bound is passed over.
 */
@ExtendWith(NettyLeakCheck.class)
class SourceAddrsTest {

    private final List<Client> clients = new ArrayList<>();

    /** A new client (a new session) that sends one datagram and gets its echo. */
    private Client newSession(Daemon daemon, String text) throws Exception {
        Client client = new Client(daemon.listenAddress());
        clients.add(client);
        client.request(text.getBytes(StandardCharsets.US_ASCII));
        return client;
    }

    /**
     * The address the backend saw {@code request} come from: requests are sequential and each
     * reply is sent after the sender is recorded, so the one sender new since {@code seen}.
     */
    private static InetSocketAddress newSender(EchoBackend backend, Set<InetSocketAddress> seen) {
        Set<InetSocketAddress> fresh = new HashSet<>(backend.senders());
        fresh.removeAll(seen);
        assertThat(fresh).as("senders new since the last session").hasSize(1);
        InetSocketAddress sender = fresh.iterator().next();
        seen.add(sender);
        return sender;
    }

    private void closeClients() {
        clients.forEach(Client::close);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void successiveSessionsLeaveFromTheSourceAddressesInTurn(Transport transport) throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .sourceAddrs("127.0.0.21", "127.0.0.22", "127.0.0.23")
                        .upstream(rr("pool", peer(backend.address()))).build(), transport)) {
            Set<InetSocketAddress> seen = new HashSet<>();
            List<String> sources = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                newSession(daemon, "session " + i);
                sources.add(newSender(backend, seen).getAddress().getHostAddress());
            }
            assertThat(sources).containsExactly("127.0.0.21", "127.0.0.22", "127.0.0.23",
                    "127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.21");
            // Every session keeps its socket: a second datagram of each leaves from where its first did.
            for (Client client : clients) {
                client.request("again".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(backend.senders()).isEqualTo(seen);
            assertThat(daemon.sessionCount()).isEqualTo(7);
        } finally {
            closeClients();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aReloadChangesTheSourceAddressesOfNewSessionsOnly(Transport transport) throws Exception {
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().defaultUpstream("pool")
                        .sourceAddrs("127.0.0.21", "127.0.0.22")
                        .upstream(rr("pool", peer(backend.address()))).build(), transport)) {
            Set<InetSocketAddress> seen = new HashSet<>();
            newSession(daemon, "a");
            InetSocketAddress a = newSender(backend, seen);
            newSession(daemon, "b");
            InetSocketAddress b = newSender(backend, seen);

            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("pool").sourceAddrs("127.0.0.23")
                    .upstream(rr("pool", peer(backend.address()))).build());
            newSession(daemon, "c");
            InetSocketAddress c = newSender(backend, seen);

            ControlPlane.replan(daemon, new TestConfig().defaultUpstream("pool")
                    .upstream(rr("pool", peer(backend.address()))).build());
            newSession(daemon, "d");
            InetSocketAddress d = newSender(backend, seen);

            assertThat(List.of(a, b, c, d)).extracting(s -> s.getAddress().getHostAddress())
                    .containsExactly("127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.1");
            // The live sessions kept their sockets through both reloads.
            for (Client client : clients) {
                client.request("again".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(backend.senders()).containsExactlyInAnyOrder(a, b, c, d);
        } finally {
            closeClients();
        }
    }

    /**
     * {@code ::2} is no address of this host (no interface has it): binding to it fails with
     * EADDRNOTAVAIL, as for an address removed after start, and nothing is ever sent from it.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void anAddressThatCannotBeBoundIsPassedOver(Transport transport) throws Exception {
        try (EchoBackend backend = EchoBackend.start("::1", 6);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).defaultUpstream("v6")
                        .sourceAddrs("::2", "::1")
                        .upstream(rr("v6", peer(backend.address()))).build(), transport)) {
            Set<InetSocketAddress> seen = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                newSession(daemon, "session " + i);
                assertThat(newSender(backend, seen).getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
            }
            assertThat(daemon.counters().dropped("session_limit")).isZero();
        } finally {
            closeClients();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void whenNoAddressCanBeBoundTheDatagramIsDroppedAsSessionLimit(Transport transport) throws Exception {
        try (EchoBackend backend = EchoBackend.start("::1", 6);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().listen("::1", 0).defaultUpstream("v6")
                        .sourceAddrs("::2", "::3")
                        .upstream(rr("v6", peer(backend.address()))).build(), transport)) {
            Client client = new Client(daemon.listenAddress());
            clients.add(client);
            client.send("lost".getBytes(StandardCharsets.US_ASCII));
            Poll.equal("datagrams dropped as session_limit", 1,
                    () -> daemon.counters().dropped("session_limit"));
            assertThat(daemon.sessionCount()).isZero();
            assertThat(backend.received()).isZero();
        } finally {
            closeClients();
        }
    }
}
