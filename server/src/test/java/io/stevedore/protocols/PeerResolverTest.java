package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stevedore.discovery.PeerResolver;
import io.stevedore.discovery.RecordType;
import io.stevedore.discovery.ResolvedPeers;
import io.stevedore.testing.Poll;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: peers from a real DNS server. dnsmasq serves A records from a hosts file that the test
 * rewrites (dnsmasq reads it again on SIGHUP) and SRV records whose targets are in that file.
 */
class PeerResolverTest {

    private static final String NAME = "backends.stevedore.test";
    private static final String SERVICE = "_game._udp.stevedore.test";

    @TempDir
    Path dir;

    @Test
    void aAndSrvRecordsBecomePeersAndAChangedRecordIsSeen() throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, """
                127.0.0.2 backends.stevedore.test
                127.0.0.3 backends.stevedore.test
                127.0.0.4 one.stevedore.test
                127.0.0.5 two.stevedore.test
                """);
        InetSocketAddress address = new InetSocketAddress(Loopback.address(53), Loopback.freeUdpPort(Loopback.address(53)));
        try (Dnsmasq dns = Dnsmasq.start("dnsmasq-discovery", address, NAME, List.of(
                        "--addn-hosts=" + hosts, "--local-ttl=7",
                        "--srv-host=" + SERVICE + ",one.stevedore.test,9001,0,5",
                        "--srv-host=" + SERVICE + ",two.stevedore.test,9002,0,0",
                        "--srv-host=" + SERVICE + ",three.stevedore.test,9003,10,5"));
                PeerResolver resolver = new PeerResolver(List.of(address))) {
            ResolvedPeers a = resolve(resolver, NAME, RecordType.A, 9000);
            assertThat(a.peers()).containsExactly(peer("127.0.0.2", 9000, 1), peer("127.0.0.3", 9000, 1));
            assertThat(a.ttlSeconds()).isEqualTo(7);

            ResolvedPeers srv = resolve(resolver, SERVICE, RecordType.SRV, 0);
            assertThat(srv.peers()).as("the lowest priority's targets; weight 0 counts as 1")
                    .containsExactly(peer("127.0.0.4", 9001, 5), peer("127.0.0.5", 9002, 1));

            Files.writeString(hosts, """
                    127.0.0.2 backends.stevedore.test
                    127.0.0.6 backends.stevedore.test
                    """);
            dns.reread();
            Poll.until(Duration.ofSeconds(10), "dnsmasq answers with the new hosts file",
                    () -> resolve(resolver, NAME, RecordType.A, 9000).peers()
                            .equals(List.of(peer("127.0.0.2", 9000, 1), peer("127.0.0.6", 9000, 1))));

            assertThat(resolve(resolver, "nothing.stevedore.test", RecordType.A, 9000).peers())
                    .as("a name without records").isEmpty();
            assertThat(resolve(resolver, NAME, RecordType.AAAA, 9000).peers()).as("no AAAA records").isEmpty();
        }
    }

    @Test
    void aServerThatNeverAnswersIsAFailureNotAnEmptySet() {
        InetSocketAddress silent = new InetSocketAddress(Loopback.address(54), Loopback.freeUdpPort(Loopback.address(54)));
        try (PeerResolver resolver = new PeerResolver(List.of(silent))) {
            assertThatThrownBy(() -> resolver.resolve(NAME, RecordType.A, 9000).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class);
        }
    }

    private static ResolvedPeers resolve(PeerResolver resolver, String name, RecordType type, int port) {
        try {
            return resolver.resolve(name, type, port).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("resolving " + type + " " + name + " failed", e);
        }
    }

    private static ResolvedPeers.Peer peer(String ip, int port, int weight) {
        return new ResolvedPeers.Peer(new InetSocketAddress(ip, port), weight);
    }
}
