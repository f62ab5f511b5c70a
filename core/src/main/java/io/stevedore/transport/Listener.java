package io.stevedore.transport;

import io.netty.channel.socket.DatagramChannel;
import java.net.InetAddress;

/**
 * One listening socket of one event loop, and the local address its replies leave from. A session
 * remembers its listener by {@link #index} in its worker, so a reply goes out through the socket
 * bound to the address the client last wrote to.
 */
final class Listener {

    final DatagramChannel channel;
    /** The bound local address; null for the wildcard socket, whose replies' source the kernel chooses. */
    final InetAddress address;
    final int index;
    /** A reply was written this event-loop turn and awaits the turn's flush. Only on the loop. */
    boolean flushPending;

    Listener(DatagramChannel channel, InetAddress address, int index) {
        this.channel = channel;
        this.address = address;
        this.index = index;
    }

    boolean isWildcard() {
        return address == null;
    }
}
