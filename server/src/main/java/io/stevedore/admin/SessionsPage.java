package io.stevedore.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.stevedore.config.Addresses;
import io.stevedore.transport.Daemon;
import io.stevedore.transport.LiveSession;
import io.stevedore.transport.SessionQuery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /sessions}: the live sessions, newest activity first, a page at a time.
 * {@code ?limit=N} (default 100, at most 10,000), {@code ?cursor=} the previous page's {@code next},
 * {@code ?client=IP} or {@code IP:PORT}, {@code ?peer=IP:PORT} (the peer last sent to, or kept
 * under session affinity). Each event loop lists its own sessions on its own thread; the answer
 * waits for them at most {@link #WAIT_SECONDS}, without holding the admin thread meanwhile.
 *
 * <p>One listing runs at a time, the next one starting when the last has answered: however many
 * clients ask at once, the event loops scan their tables for one request at a time. Used only on
 * the admin thread.
 */
final class SessionsPage {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;
    private static final long WAIT_SECONDS = 2;

    private final Daemon daemon;
    private final Executor admin;
    private CompletableFuture<Reply> last = CompletableFuture.completedFuture(null);

    SessionsPage(Daemon daemon, Executor admin) {
        this.daemon = daemon;
        this.admin = admin;
    }

    CompletableFuture<Reply> render(Map<String, List<String>> parameters) {
        SessionQuery query;
        try {
            query = query(parameters);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Reply.text(HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n"));
        }
        // The JSON is built on the admin thread, never on the event loop that happened to answer last.
        last = last.handle((previous, error) -> null)
                .thenComposeAsync(ready -> daemon.sessions(query).orTimeout(WAIT_SECONDS, TimeUnit.SECONDS), admin)
                .handleAsync((sessions, error) -> error == null ? page(query, sessions)
                        : Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "the event loops did not list their sessions "
                                + "within " + WAIT_SECONDS + " s\n"), admin);
        return last;
    }

    private static Reply page(SessionQuery query, List<LiveSession> sessions) {
        ObjectNode root = StatusReport.JSON.createObjectNode();
        ArrayNode list = root.putArray("sessions");
        for (LiveSession s : sessions) {
            ObjectNode node = list.addObject();
            node.put("client", Addresses.format(s.client()));
            node.put("listener", s.listener() == null ? null : Addresses.format(s.listener()));
            ObjectNode peers = node.putObject("peers");
            s.peers().forEach((upstream, peer) -> peers.put(upstream, Addresses.format(peer)));
            node.put("lastUpstream", s.lastUpstream());
            node.put("ageSec", s.ageSec());
            node.put("idleSec", s.idleSec());
            node.put("datagramsIn", s.datagramsIn());
            node.put("bytesIn", s.bytesIn());
            node.put("datagramsOut", s.datagramsOut());
            node.put("bytesOut", s.bytesOut());
            node.put("answered", s.answered());
        }
        root.put("next", sessions.size() == query.limit() ? sessions.get(sessions.size() - 1).cursor() : null);
        try {
            return Reply.of(HttpResponseStatus.OK, "application/json",
                    StatusReport.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SessionQuery query(Map<String, List<String>> parameters) {
        int limit = DEFAULT_LIMIT;
        String limitText = first(parameters, "limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = 0;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit \"" + limitText + "\" is not a number from 1 to " + MAX_LIMIT);
            }
        }
        InetAddress clientIp = null;
        int clientPort = SessionQuery.ANY_PORT;
        String client = first(parameters, "client");
        if (client != null) {
            clientIp = Addresses.ip(client);
            if (clientIp == null) {
                InetSocketAddress address = address("client", client);
                clientIp = address.getAddress();
                clientPort = address.getPort();
            }
        }
        String peerText = first(parameters, "peer");
        InetSocketAddress peer = peerText == null ? null : address("peer", peerText);
        int afterSecond = Integer.MAX_VALUE;
        String afterClient = null;
        String cursor = first(parameters, "cursor");
        if (cursor != null) {
            int slash = cursor.indexOf('/');
            try {
                afterSecond = Integer.parseInt(cursor.substring(0, Math.max(0, slash)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cursor \"" + cursor + "\" is not the \"next\" of a previous page");
            }
            afterClient = cursor.substring(slash + 1);
        }
        return new SessionQuery(clientIp, clientPort, peer, limit, afterSecond, afterClient);
    }

    private static InetSocketAddress address(String name, String text) {
        try {
            return Addresses.listen(text, "127.0.0.2:9001");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " " + e.getMessage());
        }
    }

    private static String first(Map<String, List<String>> parameters, String name) {
        List<String> values = parameters.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
