package io.stevedore.transport;

import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;
import java.util.function.IntFunction;

/**
 * The PROXY v2 header the datagrams of a session carry to an upstream with {@code ProxyProtocol},
 * for one event loop: built once per session, on its first datagram to such an upstream, and kept
 * by the session ({@link Session#proxyHeader}), so a session's later datagrams allocate no header.
 * A header a trusted front tier sent is kept as it came ({@link InboundProxy#carryTo}). Only on the loop.
 */
final class OutboundProxy {

    /** The bound address of the listener of an index ({@link Session#replyVia}). */
    private final IntFunction<InetSocketAddress> listenerAddress;
    /** Where the client datagram being handled was sent, as the listener read it (may be null). */
    private InetSocketAddress recipient;

    OutboundProxy(IntFunction<InetSocketAddress> listenerAddress) {
        this.listenerAddress = listenerAddress;
    }

    /** The client datagram being handled was sent to {@code recipient} (null if the socket does not say). */
    void received(InetSocketAddress recipient) {
        this.recipient = recipient;
    }

    /**
     * The session's header. Its destination is the address of the listener the client last wrote
     * to; for the wildcard socket, the address the datagram was sent to.
     */
    byte[] headerOf(Session session) {
        byte[] header = session.proxyHeader();
        if (header == null) {
            InetSocketAddress destination = listenerAddress.apply(session.replyVia());
            if (destination.getAddress().isAnyLocalAddress() && recipient != null
                    && !recipient.getAddress().isAnyLocalAddress()) {
                destination = new InetSocketAddress(recipient.getAddress(), destination.getPort());
            }
            header = ProxyHeader.proxy(session.client(), destination);
            session.proxyHeader(header);
        }
        return header;
    }
}
