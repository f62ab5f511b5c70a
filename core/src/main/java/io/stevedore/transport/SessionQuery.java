package io.stevedore.transport;

import io.stevedore.config.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Which sessions {@link Daemon#sessions} lists: those of a client IP (and port, when given) and of a
 * peer, newest activity first, at most {@code limit}, after {@code cursor} (a previous page's last
 * {@link LiveSession#cursor()}). Null filters match every session.
 */
public record SessionQuery(InetAddress clientIp, int clientPort, InetSocketAddress peer, int limit,
        int afterSecond, String afterClient) {

    public static final int ANY_PORT = -1;

    /** Newest activity first, then by client address text: the order pages follow. */
    static final Comparator<LiveSession> ORDER = order(LiveSession::activeSecond, LiveSession::client);

    /** {@link #ORDER} over anything with an activity second and a client. */
    static <T> Comparator<T> order(ToIntFunction<T> activeSecond, Function<T, InetSocketAddress> client) {
        return Comparator.comparingInt(activeSecond).reversed().thenComparing(t -> Addresses.format(client.apply(t)));
    }

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
        return Addresses.format(client).compareTo(afterClient) > 0;
    }
}
