package io.stevedore.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ProbeTotals;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Issue 18: {@code GET /sessions} lists who is connected, to which peer, and what passed each way. */
@ExtendWith(NettyLeakCheck.class)
class SessionsEndpointTest {

    private static final JsonMapper JSON = new JsonMapper();

    @Test
    void listsFiltersAndPagesTheLiveSessionsNewestFirst() throws Exception {
        List<Client> clients = new ArrayList<>();
        try (EchoBackend a = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b = EchoBackend.start("127.0.0.3", 3);
                Daemon daemon = ControlPlane.startDataPlane(ConfigLoader.parse("""
                        {
                          "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 2},
                          "Upload": {"DefaultUpstream": "kcp", "Upstreams": [{
                            "Name": "kcp", "Type": "chash", "KeyBytes": "0:1",
                            "Peers": [{"IP": "127.0.0.2", "Port": %d}, {"IP": "127.0.0.3", "Port": %d}]}]}
                        }
                        """.formatted(a.address().getPort(), b.address().getPort())).config());
                AdminServer admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0),
                        new Observed(daemon, new ProbeTotals(), new Reloads(Instant.now()), "test"))) {
            for (int i = 0; i < 11; i++) {
                Client client = new Client(daemon.listenAddress(), "127.0.60." + (1 + i % 3));
                clients.add(client);
                for (int n = 0; n < 3; n++) {
                    client.request(new byte[] {(byte) i, 1, 2, 3});
                }
            }
            // The last client's traffic a second later: it is the newest.
            long second = System.nanoTime() / 1_000_000_000L;
            Poll.until(Duration.ofSeconds(3), "the next second", () -> System.nanoTime() / 1_000_000_000L > second);
            Client late = new Client(daemon.listenAddress(), "127.0.61.1");
            clients.add(late);
            late.request(new byte[] {7, 9});

            JsonNode all = get(admin, "/sessions");
            assertThat(all.get("sessions")).hasSize(12);
            assertThat(all.get("next").isNull()).isTrue();
            JsonNode newest = all.get("sessions").get(0);
            assertThat(newest.get("client").asText()).isEqualTo(Addresses.format(late.localAddress()));
            assertThat(newest.get("datagramsIn").asLong()).isEqualTo(1);
            assertThat(newest.get("bytesIn").asLong()).isEqualTo(2);
            assertThat(newest.get("datagramsOut").asLong()).isEqualTo(1);
            assertThat(newest.get("bytesOut").asLong()).as("the echo adds its id byte").isEqualTo(3);
            assertThat(newest.get("answered").asBoolean()).isTrue();
            assertThat(newest.get("listener").asText()).isEqualTo(Addresses.format(daemon.listenAddress()));
            assertThat(newest.get("peers").get("kcp").asText()).isIn(Addresses.format(a.address()),
                    Addresses.format(b.address()));
            assertThat(newest.get("idleSec").asInt()).isBetween(0, 5);
            for (JsonNode session : all.get("sessions")) {
                if (session != newest) {
                    assertThat(session.get("datagramsIn").asLong()).isEqualTo(3);
                    assertThat(session.get("datagramsOut").asLong()).isEqualTo(3);
                }
            }

            assertThat(get(admin, "/sessions?client=127.0.60.2").get("sessions")).hasSize(4);
            Client one = clients.get(4);
            JsonNode exact = get(admin, "/sessions?client=" + Addresses.format(one.localAddress())).get("sessions");
            assertThat(exact).hasSize(1);
            assertThat(exact.get(0).get("client").asText()).isEqualTo(Addresses.format(one.localAddress()));

            int atA = get(admin, "/sessions?peer=" + Addresses.format(a.address())).get("sessions").size();
            int atB = get(admin, "/sessions?peer=" + Addresses.format(b.address())).get("sessions").size();
            assertThat(atA + atB).as("each session under the peer it used").isEqualTo(12);
            for (JsonNode session : get(admin, "/sessions?peer=" + Addresses.format(a.address())).get("sessions")) {
                assertThat(session.get("peers").get("kcp").asText()).isEqualTo(Addresses.format(a.address()));
            }

            Set<String> paged = new HashSet<>();
            String cursor = null;
            int pages = 0;
            do {
                JsonNode page = get(admin, "/sessions?limit=5" + (cursor == null ? "" : "&cursor=" + cursor));
                page.get("sessions").forEach(s -> assertThat(paged.add(s.get("client").asText())).isTrue());
                cursor = page.get("next").isNull() ? null : page.get("next").asText();
                pages++;
            } while (cursor != null && pages < 10);
            assertThat(paged).as("every session once over the pages").hasSize(12);
            assertThat(pages).isEqualTo(3);

            assertThat(AdminHttp.get(admin.address(), "/sessions?limit=0").statusCode()).isEqualTo(400);
            HttpResponse<String> badPeer = AdminHttp.get(admin.address(), "/sessions?peer=nowhere");
            assertThat(badPeer.statusCode()).isEqualTo(400);
            assertThat(badPeer.body()).startsWith("peer \"nowhere\"");
        } finally {
            clients.forEach(Client::close);
        }
    }

    private static JsonNode get(AdminServer admin, String path) throws Exception {
        HttpResponse<String> response = AdminHttp.get(admin.address(), path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
