package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakCheck.class)
class SessionLifecycleTest {

    /**
     * The sockets this process holds open, by kernel identity ({@code socket:[inode]}), not by
     * count: sockets of earlier tests in the same JVM may close meanwhile, and fd numbers are
     * reused, but an inode names one socket for its whole life.
     */
    private static Set<String> openSockets() {
        Set<String> sockets = new HashSet<>();
        File[] fds = new File("/proc/self/fd").listFiles();
        if (fds != null) {
            for (File fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd.toPath()).toString();
                    if (target.startsWith("socket:")) {
                        sockets.add(target);
                    }
                } catch (IOException closedMeanwhile) {
                    // the fd went away between the listing and the read: not open
                }
            }
        }
        return sockets;
    }

    private static Set<String> stillOpen(Set<String> sockets) {
        Set<String> open = openSockets();
        open.retainAll(sockets);
        return open;
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void idleSessionsAreSweptAndTheirSocketsReleased() throws Exception {
        List<Client> clients = new ArrayList<>();
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().timeouts(1, 1).defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build())) {
            for (int i = 0; i < 20; i++) {
                clients.add(new Client(daemon.listenAddress()));
            }
            Set<String> before = openSockets();
            for (Client client : clients) {
                client.request(text("hi"));
            }
            assertThat(daemon.sessionCount()).isEqualTo(20);
            Set<String> sessionSockets = openSockets();
            sessionSockets.removeAll(before);
            assertThat(sessionSockets).as("sockets opened for 20 sessions").hasSize(20);

            Poll.equal("live sessions after TimeoutSec", 0, daemon::sessionCount);
            Poll.equal("session sockets still open after the sweep", 0, () -> stillOpen(sessionSockets).size());
            assertThat(daemon.counters().sessions()).isZero();

            // A swept client simply gets a new session.
            assertThat(clients.get(0).request(text("back")).backend()).isEqualTo(2);
            assertThat(daemon.sessionCount()).isEqualTo(1);
        } finally {
            clients.forEach(Client::close);
        }
    }

    @Test
    void maxSessionsDropsNewClientsWhileEarlierOnesKeepBeingServed() throws Exception {
        List<Client> clients = new ArrayList<>();
        try (EchoBackend backend = EchoBackend.start("127.0.0.2", 2);
                Daemon daemon = ControlPlane.startDataPlane(new TestConfig().parallel(2).maxSessions(10).defaultUpstream("echo")
                        .upstream(rr("echo", peer(backend.address()))).build())) {
            for (int i = 0; i < 20; i++) {
                clients.add(new Client(daemon.listenAddress()));
            }
            for (int i = 0; i < 10; i++) {
                clients.get(i).request(text("first " + i));
            }
            for (int i = 10; i < 20; i++) {
                clients.get(i).send(text("late " + i));
            }
            Poll.equal("session_limit drops", 10, () -> daemon.counters().dropped("session_limit"));
            assertThat(daemon.sessionCount()).isEqualTo(10);

            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 10; i++) {
                    clients.get(i).request(text("again " + i));
                }
            }
            assertThat(backend.received()).isEqualTo(40);
            assertThat(daemon.sessionCount()).isEqualTo(10);
        } finally {
            clients.forEach(Client::close);
        }
    }
}
