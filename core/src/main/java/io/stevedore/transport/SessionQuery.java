package io.stevedore.transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;

/**
 * Which sessions {@link Daemon#sessions} lists: those of a client IP (and port, when given) and of a
 * peer, newest activity first, at most {@code limit}, after {@code cursor} (a previous page's last
 * {@link LiveSession#cursor()}). Null filters match every session.
 */
public record SessionQuery(InetAddress clientIp, int clientPort, InetSocketAddress peer, int limit,
        int afterSecond, String afterClient) {

    public static final int ANY_PORT = -1;

    /** Newest activity first, then by client address text: the order pages follow. */
    static final Comparator<LiveSession> ORDER = Comparator.comparingInt(LiveSession::activeSecond).reversed()
            .thenComparing(s -> io.stevedore.config.Addresses.format(s.client()));

    public static SessionQuery all(int limit) {
        return new SessionQuery(null, ANY_PORT, null, limit, Integer.MAX_VALUE, null);
    }

    boolean matchesClient(InetSocketAddress client) {
        return clientIp == null
                || clientIp.equals(client.getAddress()) && (clientPort == ANY_PORT || clientPort == client.getPort());
    }

    /** Whether a session of this activity and client comes after the cursor in {@link #ORDER}. */
    boolean afterCursor(int activeSecond, InetSocketAddress client) {
        if (afterClient == null) {
            return true;
        }
        if (activeSecond != afterSecond) {
            return activeSecond < afterSecond;
        }
        return io.stevedore.config.Addresses.format(client).compareTo(afterClient) > 0;
    }
}
