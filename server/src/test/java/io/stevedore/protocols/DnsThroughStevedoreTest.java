package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real dig asks two real dnsmasq servers, which give different answers for one name, through
 * Stevedore, run with the DNS config of docs/protocols.md. A route on the RD (recursion desired) bit of the DNS header sends recursive queries to
 * one pool and the rest to the other; both pools hash on the 12-byte header, so anything shorter
 * than a DNS header is dropped and counted as {@code short_key}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NettyLeakCheck.class)
class DnsThroughStevedoreTest {

    private static final String NAME = "svc.test";
    private static final InetAddress RECURSIVE_ANSWER = Loopback.address(42);
    private static final InetAddress AUTHORITATIVE_ANSWER = Loopback.address(43);

    private Dnsmasq recursive;
    private Dnsmasq authoritative;
    private Stevedore stevedore;

    @BeforeAll
    void start() throws Exception {
        int port = Loopback.freeUdpPort(Loopback.address(2), Loopback.address(3));
        recursive = Dnsmasq.start("dnsmasq-recursive", new InetSocketAddress(Loopback.address(2), port), NAME,
                RECURSIVE_ANSWER);
        authoritative = Dnsmasq.start("dnsmasq-authoritative", new InetSocketAddress(Loopback.address(3), port),
                NAME, AUTHORITATIVE_ANSWER);
        stevedore = Stevedore.start(DocumentedConfig.load("DNS", Map.of(
                recursive.address().getAddress(), recursive.address(),
                authoritative.address().getAddress(), authoritative.address())));
    }

    @AfterAll
    void stop() {
        if (stevedore != null) {
            stevedore.close();
        }
        if (recursive != null) {
            recursive.close();
        }
        if (authoritative != null) {
            authoritative.close();
        }
    }

    @Test
    void recursiveQueriesAreAnsweredByTheRecursivePool() throws Exception {
        long before = stevedore.forwardedTo("recursive", 0);
        for (int i = 0; i < 3; i++) {
            assertThat(Dig.queryA(stevedore.address(), NAME, true)).as(describe()).isEqualTo(RECURSIVE_ANSWER.getHostAddress());
        }
        assertThat(stevedore.forwardedTo("recursive", 0) - before).isEqualTo(3);
    }

    @Test
    void nonRecursiveQueriesAreAnsweredByTheAuthoritativePool() throws Exception {
        long before = stevedore.forwardedTo("authoritative", 0);
        for (int i = 0; i < 3; i++) {
            assertThat(Dig.queryA(stevedore.address(), NAME, false)).as(describe()).isEqualTo(AUTHORITATIVE_ANSWER.getHostAddress());
        }
        assertThat(stevedore.forwardedTo("authoritative", 0) - before).isEqualTo(3);
    }

    @Test
    void datagramsShorterThanADnsHeaderAreDroppedAndCounted() throws Exception {
        long droppedBefore = stevedore.dropped("short_key");
        long forwardedBefore = stevedore.forwardedTo("recursive", 0) + stevedore.forwardedTo("authoritative", 0);
        byte[] query = DnsMessages.query(7, DnsMessages.RD, NAME);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(Loopback.CLIENT, 0))) {
            // 11 bytes with RD set: the recursive route matches, its pool cannot hash the header.
            // 2 bytes: too short for the route, so the default pool, which cannot hash it either.
            send(client, Arrays.copyOf(query, 11));
            send(client, Arrays.copyOf(query, 2));
            Poll.until(Duration.ofSeconds(5), "two short_key drops", () -> stevedore.dropped("short_key") - droppedBefore == 2,
                    this::describe);
            assertThat(stevedore.forwardedTo("recursive", 0) + stevedore.forwardedTo("authoritative", 0))
                    .as("datagrams forwarded").isEqualTo(forwardedBefore);

            // The same client's whole query still gets its answer, and nothing came back for the others.
            send(client, query);
            client.setSoTimeout(5_000);
            byte[] reply = new byte[512];
            DatagramPacket answer = new DatagramPacket(reply, reply.length);
            try {
                client.receive(answer);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer to a whole query after the short ones\n" + describe(), e);
            }
            assertThat(DnsMessages.answers(reply, answer.getLength(), 7)).as("the answer to query 7").isTrue();
        }
        assertThat(stevedore.dropped("short_key") - droppedBefore).isEqualTo(2);
    }

    private void send(DatagramSocket client, byte[] datagram) throws IOException {
        client.send(new DatagramPacket(datagram, datagram.length, stevedore.address()));
    }

    private String describe() {
        return "short_key=" + stevedore.dropped("short_key") + " no_route=" + stevedore.dropped("no_route")
                + "\n" + recursive.describe() + "\n" + authoritative.describe();
    }
}
