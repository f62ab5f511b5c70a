package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.proxyprotocol.ProxyHeader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * The headers Stevedore writes, read by a real PROXY-aware server: Unbound answers the client the
 * header names when its access control allows that client, and refuses another, although every
 * datagram comes from the same front-tier address.
 */
class ProxyHeaderUnboundTest {

    private static final String NAME = "who.stevedore.test";
    private static final InetAddress ALLOWED = Loopback.address(71);
    private static final InetAddress OTHER = Loopback.address(72);

    @Test
    void unboundSeesTheClientTheHeaderNames() throws Exception {
        InetSocketAddress address = new InetSocketAddress(Loopback.address(60), Loopback.freeUdpPort(Loopback.address(60)));
        try (Unbound unbound = Unbound.start(address, ALLOWED, NAME, Loopback.address(99));
                DatagramSocket front = new DatagramSocket(new InetSocketAddress(Loopback.CLIENT, 0))) {
            front.setSoTimeout(5_000);
            assertThat(rcode(front, unbound, ALLOWED, 1)).as("the allowed client").isEqualTo(0);
            assertThat(rcode(front, unbound, OTHER, 2)).as("another client").isEqualTo(5);
        }
    }

    /** The response code of Unbound's answer to a query that the header says {@code client} sent. */
    private static int rcode(DatagramSocket front, Unbound unbound, InetAddress client, int id) throws Exception {
        byte[] header = ProxyHeader.proxy(new InetSocketAddress(client, 40_000), unbound.address());
        byte[] datagram = Unbound.concat(header, DnsMessages.query(id, DnsMessages.RD, NAME));
        front.send(new DatagramPacket(datagram, datagram.length, unbound.address()));
        byte[] reply = new byte[1500];
        DatagramPacket packet = new DatagramPacket(reply, reply.length);
        front.receive(packet);
        assertThat(DnsMessages.answers(reply, packet.getLength(), id)).isTrue();
        return reply[3] & 0x0F;
    }
}
