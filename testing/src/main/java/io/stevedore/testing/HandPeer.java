package io.stevedore.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * A peer the test answers for by hand, when it chooses: it shows who sent each datagram, and can
 * hold a reply back (a slow backend) or send what no backend would.
 */
public final class HandPeer implements AutoCloseable {

    private final DatagramSocket socket;

    public HandPeer(String ip) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
        socket.setSoTimeout(Client.TIMEOUT_MS);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The next datagram; fails the test if none arrives within {@link Client#TIMEOUT_MS}. */
    public DatagramPacket receive() throws IOException {
        DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
        socket.receive(packet);
        return packet;
    }

    public static byte[] payload(DatagramPacket packet) {
        return Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
    }

    public void send(byte[] payload, InetSocketAddress to) throws IOException {
        socket.send(new DatagramPacket(payload, payload.length, to));
    }

    @Override
    public void close() {
        socket.close();
    }
}
