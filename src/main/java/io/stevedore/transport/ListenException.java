package io.stevedore.transport;

import java.net.InetSocketAddress;

/** The listening address cannot be bound: in use, not local, or not permitted. */
public final class ListenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ListenException(InetSocketAddress address, String reason, Throwable cause) {
        super("cannot listen on " + format(address) + ": " + reason, cause);
    }

    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
