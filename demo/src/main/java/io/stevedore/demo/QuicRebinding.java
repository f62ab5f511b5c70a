package io.stevedore.demo;

import io.stevedore.config.Addresses;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.transport.Daemon;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code stevedore demo quic}: three real QUIC servers behind a {@code quic} upstream issue
 * QUIC-LB connection IDs that carry their server IDs; one client behind a NAT opens a connection
 * through the load balancer and sends a line on a new stream, and its NAT then moves it to a new
 * port. The load balancer sees a new client, yet the connection goes on with its
 * server: the server ID in the connection ID names it, not the client's address.
 */
final class QuicRebinding {

    private static final String[] NAMES = {"alpha", "beta", "gamma"};
    /** A demo key, printed on purpose: a real one is a secret shared with the servers alone. */
    private static final String KEY = "4d9d0fd25a25e7f321ef464e13f9fc3c";
    private static final QuicLbConfig QUIC_LB = new QuicLbConfig(2, 3, 6, HexFormat.of().parseHex(KEY));
    /** One: the QUIC stack needs a spare connection ID of its peer for each new path, which it replenishes after a while. */
    private static final int REBINDINGS = 1;

    private static final String CONFIG = """
            {
              "Server": { "ListenAddr": "127.0.0.1:0", "ListenParallel": 1 },
              "Upload": {
                "DefaultUpstream": "quic",
                "Upstreams": [
                  { "Name": "quic", "Type": "quic",
                    "QuicLB": [ { "ConfigId": 2, "ServerIdLength": 3, "NonceLength": 6, "Key": "0x%s" } ],
                    "Peers": [ %s ] }
                ]
              }
            }
            """;

    private final Demo demo;

    QuicRebinding(Demo demo) {
        this.demo = demo;
    }

    private static byte[] serverId(int server) {
        return new byte[] {0x0a, 0x51, (byte) (server + 1)};
    }

    void run() throws DemoException, IOException {
        List<QuicPeers.Server> servers = new ArrayList<>();
        try {
            List<String> peers = new ArrayList<>();
            for (int i = 0; i < NAMES.length; i++) {
                servers.add(start("127.0.0." + (2 + i), NAMES[i], serverId(i)));
                peers.add("{ \"IP\": \"127.0.0." + (2 + i) + "\", \"Port\": " + servers.get(i).address().getPort()
                        + ", \"ServerId\": \"0x" + HexFormat.of().formatHex(serverId(i)) + "\" }");
            }
            try (Daemon daemon = Demo.startLoadBalancer(CONFIG.formatted(KEY, String.join(", ", peers)));
                    Rebinder nat = new Rebinder("127.0.0.1", "127.0.0.1", daemon.listenAddress(), datagram -> { })) {
                play(daemon, nat, servers);
            }
        } finally {
            servers.forEach(QuicPeers.Server::close);
        }
    }

    private void play(Daemon daemon, Rebinder nat, List<QuicPeers.Server> servers) throws DemoException, IOException {
        var out = demo.out();
        out.println();
        out.println("QUIC: a connection keeps its server when its NAT moves it to a new port");
        out.println("  Servers alpha, beta, gamma on 127.0.0.2-4 issue connection IDs under QuicLB config 2 (3-byte");
        out.println("  server IDs 0x0a5101-0x0a5103, 6-byte nonces, AES-128 key 0x" + KEY + ");");
        out.println("  the load balancer on " + Addresses.format(daemon.listenAddress()) + " routes each datagram by the"
                + " server ID in its destination connection ID.");
        Table table = new Table("step", "load balancer sees the client at", "answered by");
        Set<String> answeredBy = new LinkedHashSet<>();
        try (QuicPeers.Client client = connect(nat)) {
            for (int step = 0; step <= REBINDINGS; step++) {
                if (step > 0) {
                    nat.rebind();
                }
                String line = step == 0 ? "hello" : "rebinding " + step;
                String server = exchange(client, line);
                answeredBy.add(server);
                table.row(step == 0 ? "connect, then a stream" : "NAT moved the client, a new stream",
                        Addresses.format(nat.outside()), server);
            }
        }
        Counters counters = daemon.counters();
        long byServerId = counters.upstream("quic", PeerCounter.QUIC_SERVER_ID);
        long fallback = counters.upstream("quic", PeerCounter.QUIC_FALLBACK);
        out.println("  stevedore_quic_datagrams_total: server_id " + byServerId + ", fallback " + fallback
                + " (the client's Initials, before a server gave it a connection ID)");
        out.println();
        table.print(out, "  ");
        int connections = servers.stream().mapToInt(QuicPeers.Server::connections).sum();
        demo.check(answeredBy.size() == 1, "QUIC: one connection answered by " + String.join(", ", answeredBy)
                + " from " + (REBINDINGS + 1) + " client ports");
        demo.check(connections == 1, "QUIC: the servers accepted " + connections + " connection(s), no new one after"
                + " a rebinding");
        demo.check(byServerId > 0, "QUIC: " + byServerId + " datagrams routed by the server ID in their connection ID");
    }

    private static QuicPeers.Server start(String ip, String name, byte[] serverId) throws DemoException {
        try {
            return new QuicPeers.Server(ip, name, QUIC_LB, serverId);
        } catch (Exception e) {
            throw new DemoException("cannot start QUIC server " + name + " on " + ip + ": " + e.getMessage());
        }
    }

    private static QuicPeers.Client connect(Rebinder nat) throws DemoException {
        try {
            return new QuicPeers.Client("127.0.0.1", nat.address());
        } catch (Exception e) {
            throw new DemoException("the QUIC client could not connect through the load balancer: " + e);
        }
    }

    /** The name of the server that answered {@code line}. */
    private static String exchange(QuicPeers.Client client, String line) throws DemoException {
        String answer;
        try {
            answer = client.exchange(line);
        } catch (Exception e) {
            throw new DemoException("no answer to \"" + line + "\" on the QUIC connection: " + e);
        }
        int space = answer.indexOf(' ');
        return space < 0 ? answer : answer.substring(0, space);
    }
}
