package io.stevedore.dryrun;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.proxyprotocol.ProxyHeader;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The dry run's answers, each reason a datagram can meet before it leaves for a peer. */
class DryRunTest {

    private static final String CONFIG = """
            {
              "Server": {"ListenAddr": "127.0.0.1:2614", "BufSize": 64},
              "Upload": {
                "DefaultUpstream": "rr",
                "Routes": [
                  {"KeyBytes": "0:1", "Operator": "==", "Value": "0x01", "Upstream": "kcp"},
                  {"KeyBytes": "0:1", "Operator": "==", "Value": "0x09", "Upstream": "nowhere"}
                ],
                "Upstreams": [
                  {"Name": "kcp", "Type": "chash", "KeyBytes": "1:5", "Peers": [
                    {"IP": "127.0.0.2", "Port": 9001}, {"IP": "127.0.0.3", "Port": 9001},
                    {"IP": "127.0.0.4", "Port": 9001, "Backup": true}]},
                  {"Name": "rr", "Type": "rr", "Peers": [{"IP": "127.0.0.5", "Port": 9002, "Weight": 2},
                    {"IP": "127.0.0.6", "Port": 9002}]}
                ]
              }
            }
            """;

    private final DryRun dryRun;

    DryRunTest() throws Exception {
        dryRun = new DryRun(ConfigLoader.parse(CONFIG).config());
    }

    private Decision decide(String hex) {
        return dryRun.decide(HexFormat.of().parseHex(hex), null);
    }

    @Test
    void aMatchingRouteLeadsToItsUpstreamAndTheKeysPeer() {
        Decision d = decide("01a1b2c3d4ff");
        assertThat(d.route()).isEqualTo("0");
        assertThat(d.upstream()).isEqualTo("kcp");
        assertThat(HexFormat.of().formatHex(d.key())).isEqualTo("a1b2c3d4");
        assertThat(d.peer()).isIn("127.0.0.2:9001", "127.0.0.3:9001");
        assertThat(d.drop()).isNull();
        assertThat(d.trials()).hasSize(1);
        assertThat(d.trials().get(0).matched()).isTrue();
        assertThat(decide("01a1b2c3d4ff").peer()).as("a pure function of the key").isEqualTo(d.peer());
        assertThat(decide("01a1b2c3d400").peer()).as("bytes outside the key do not count").isEqualTo(d.peer());
    }

    @Test
    void noMatchGoesToTheDefaultAndRoundRobinNamesItsFirstPick() {
        Decision d = decide("0700");
        assertThat(d.route()).isEqualTo("default");
        assertThat(d.trials()).hasSize(2).noneMatch(t -> t.matched());
        assertThat(d.upstream()).isEqualTo("rr");
        assertThat(d.peer()).isEqualTo("127.0.0.5:9002");
        assertThat(d.balancing()).contains("first pick of a freshly started daemon");
    }

    @Test
    void aNewClientNeverGetsADrainingPeer() throws Exception {
        DryRun draining = new DryRun(ConfigLoader.parse(CONFIG.replace(
                "{\"IP\": \"127.0.0.5\", \"Port\": 9002, \"Weight\": 2}",
                "{\"IP\": \"127.0.0.5\", \"Port\": 9002, \"Weight\": 2, \"Drain\": true}")).config());
        assertThat(draining.decide(HexFormat.of().parseHex("0700"), null).peer()).isEqualTo("127.0.0.6:9002");

        DryRun allDrain = new DryRun(ConfigLoader.parse(CONFIG.replace("\"Port\": 9002}",
                "\"Port\": 9002, \"Drain\": true}").replace("\"Weight\": 2}", "\"Weight\": 2, \"Drain\": true}"))
                .config());
        Decision none = allDrain.decide(HexFormat.of().parseHex("0700"), null);
        assertThat(none.drop()).isEqualTo("no_peer");
        assertThat(none.why()).contains("the others drain");
    }

    @Test
    void everyDropHasItsReasonAndWhy() {
        assertThat(decide("0901").drop()).isEqualTo("no_route");
        assertThat(decide("0901").why()).contains("\"nowhere\", which does not exist");
        assertThat(decide("01a1b2").drop()).isEqualTo("short_key");
        assertThat(decide("").drop()).isEqualTo("empty");
        assertThat(dryRun.decide(new byte[65], null).drop()).isEqualTo("oversize");
        assertThat(dryRun.decide(new byte[65], null).route()).as("never reached the routes").isNull();
        Decision fromPeer = dryRun.decide(new byte[] {1, 2, 3, 4, 5}, new InetSocketAddress("127.0.0.3", 9001));
        assertThat(fromPeer.drop()).isEqualTo("loop");
        Decision fromListener = dryRun.decide(new byte[] {1}, new InetSocketAddress("127.0.0.1", 2614));
        assertThat(fromListener.drop()).isEqualTo("loop");
        assertThat(dryRun.decide(new byte[] {1, 2, 3, 4, 5}, new InetSocketAddress("127.0.0.3", 40000)).peer())
                .as("another port of a peer's address is a client").isNotNull();
    }

    @Test
    void aFrontTiersHeaderIsStrippedBeforeTheRoutesAndAMissingOneIsDropped() throws Exception {
        DryRun behindFront = new DryRun(ConfigLoader.parse(CONFIG.replace("\"BufSize\": 64",
                "\"BufSize\": 64, \"ProxyProtocolFrom\": [\"127.0.0.8/32\"]")).config());
        InetSocketAddress front = new InetSocketAddress("127.0.0.8", 40000);
        byte[] header = ProxyHeader.proxy(new InetSocketAddress("127.0.0.60", 5000), new InetSocketAddress("127.0.0.1", 2614));
        byte[] payload = HexFormat.of().parseHex("01a1b2c3d4ff");
        byte[] datagram = Arrays.copyOf(header, header.length + payload.length);
        System.arraycopy(payload, 0, datagram, header.length, payload.length);

        Decision d = behindFront.decide(datagram, front);
        assertThat(d.upstream()).isEqualTo("kcp");
        assertThat(HexFormat.of().formatHex(d.key())).isEqualTo("a1b2c3d4");
        assertThat(d.peer()).isEqualTo(decide("01a1b2c3d4ff").peer());

        Decision bare = behindFront.decide(payload, front);
        assertThat(bare.drop()).isEqualTo("proxy_header");
        assertThat(bare.why()).isEqualTo("the source 127.0.0.8:40000 is in Server.ProxyProtocolFrom, but the datagram does "
                + "not start with a valid PROXY header: shorter than a PROXY v2 header");
        assertThat(behindFront.decide(header, front).drop()).isEqualTo("proxy_header");
        assertThat(behindFront.decide(payload, new InetSocketAddress("127.0.0.9", 40000)).upstream())
                .as("another source is a client itself").isEqualTo("kcp");
    }
}
