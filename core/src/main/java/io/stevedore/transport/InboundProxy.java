package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;

/**
 * The PROXY v2 header a source of {@code Server.ProxyProtocolFrom} puts before each datagram, for
 * one event loop: parsed in place into one reused {@link ProxyHeader.Parsed}, so a stream of
 * datagrams from one client allocates nothing. Only on the loop.
 */
final class InboundProxy {

    private final ProxyHeader.Parsed header = new ProxyHeader.Parsed();
    private InetSocketAddress lastCarried;
    private boolean carried;

    /**
     * Reads the header at the start of {@code data} and skips it, so that routes and
     * {@code KeyBytes} read the client's payload. Returns the client the header names, as the
     * session table keys it; the sender itself for a LOCAL header (the front tier speaks for
     * itself); or null when the datagram is not a valid header followed by a payload.
     */
    InetSocketAddress clientOf(ByteBuf data, InetSocketAddress sender) {
        int length = data.readableBytes();
        if (!ProxyHeader.parse(data, header) || header.length() == length) {
            carried = false;
            return null;
        }
        data.skipBytes(header.length());
        carried = !header.local();
        if (!carried) {
            return sender;
        }
        // The previous datagram's address when it is the same client: no allocation per datagram.
        if (!header.isClient(lastCarried)) {
            lastCarried = header.client();
        }
        return lastCarried;
    }

    /** Whether the last {@link #clientOf} named a client other than its sender. */
    boolean carried() {
        return carried;
    }

    /**
     * The session of the client the last header named: replies go back to the front tier that
     * sent it, and an upstream with {@code ProxyProtocol} gets the header as the front tier wrote
     * it (rebuilt only when it changed).
     */
    void carryTo(Session session, InetSocketAddress sender) {
        session.replyTo(sender);
        if (!header.forwardsAs(session.proxyHeader())) {
            session.proxyHeader(header.forwarded());
        }
    }
}
