package io.stevedore.protocols;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;

/** Loopback addresses for the protocol tests: the client side is 127.0.0.1, backends 127.0.0.2 and up. */
final class Loopback {

    static final InetAddress CLIENT = address(1);

    private Loopback() {
    }

    /** 127.0.0.{@code host}. */
    static InetAddress address(int host) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) host});
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * A UDP port free on every given address at the time of the call, for a program that cannot
     * report the port it bound. The kernel picks it on the first address; the others are checked.
     */
    static int freeUdpPort(InetAddress... addresses) {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramSocket first = new DatagramSocket(new InetSocketAddress(addresses[0], 0))) {
                int port = first.getLocalPort();
                if (freeOnOthers(port, addresses)) {
                    return port;
                }
            } catch (SocketException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no UDP port free on all of " + java.util.Arrays.toString(addresses));
    }

    private static boolean freeOnOthers(int port, InetAddress[] addresses) {
        for (int i = 1; i < addresses.length; i++) {
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(addresses[i], port))) {
                probe.getLocalPort();
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
