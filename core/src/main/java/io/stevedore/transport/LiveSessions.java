package io.stevedore.transport;

import io.stevedore.session.Session;
import io.stevedore.session.SessionTable;
import io.stevedore.session.SessionView;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loop's sessions as {@code GET /sessions} and the access log show them: positions in the plan
 * named as upstreams and peer addresses. Runs on the loop, so reading the sessions takes no lock.
 */
final class LiveSessions {

    private LiveSessions() {
    }

    /**
     * The sessions that {@code query} selects, newest activity first, at most its limit. It walks
     * every session of the loop, which a table of 100,000 costs a few milliseconds of the loop's
     * time, once per request.
     */
    static List<LiveSession> page(SessionTable sessions, SessionQuery query, Forwarding plan, Listeners listeners) {
        // Select and order the sessions themselves; only the page's own are copied out.
        List<Session> found = new ArrayList<>();
        sessions.forEach(session -> {
            if (query.matchesClient(session.client()) && query.afterCursor(session.activeSecond(), session.client())
                    && (query.peer() == null || uses(session, query.peer(), plan))) {
                found.add(session);
            }
        });
        found.sort(SessionQuery.order(Session::activeSecond, Session::client));
        long now = System.nanoTime();
        List<LiveSession> page = new ArrayList<>(Math.min(found.size(), query.limit()));
        for (int i = 0; i < found.size() && i < query.limit(); i++) {
            page.add(of(found.get(i).view(now), plan, listeners));
        }
        return page;
    }

    /**
     * Whether the session has sent to {@code peer} (so is one of the sessions a draining peer still
     * serves and {@code stevedore_peer_sessions} counts), or keeps it under session affinity.
     */
    private static boolean uses(Session session, InetSocketAddress peer, Forwarding plan) {
        for (int slot = session.nextUsedSlot(0); slot != Session.NONE; slot = session.nextUsedSlot(slot + 1)) {
            if (plan.has(slot) && peer.equals(plan.address(slot))) {
                return true;
            }
        }
        for (int u = 0; u < session.keptPeerSlots() && u < plan.upstreams.length; u++) {
            int kept = session.keptPeer(u);
            if (kept != Session.NONE && kept < plan.upstreams[u].peers().size()
                    && peer.equals(plan.upstreams[u].peer(kept).address())) {
                return true;
            }
        }
        return false;
    }

    static LiveSession of(SessionView view, Forwarding plan, Listeners listeners) {
        String lastUpstream = null;
        InetSocketAddress lastPeer = null;
        if (plan.has(view.lastSlot())) {
            lastUpstream = plan.upstreams[plan.upstreamOf(view.lastSlot())].name();
            lastPeer = plan.address(view.lastSlot());
        }
        Map<String, InetSocketAddress> kept = new LinkedHashMap<>();
        int[] keptPeers = view.keptPeers();
        for (int u = 0; keptPeers != null && u < keptPeers.length && u < plan.upstreams.length; u++) {
            if (keptPeers[u] != Session.NONE && keptPeers[u] < plan.upstreams[u].peers().size()) {
                kept.put(plan.upstreams[u].name(), plan.upstreams[u].peer(keptPeers[u]).address());
            }
        }
        InetSocketAddress listener = view.listener() < listeners.all().size()
                ? listeners.get(view.listener()).channel.localAddress() : null;
        return new LiveSession(view.client(), listener, lastUpstream, lastPeer, kept, view.activeSecond(),
                view.ageSec(), view.idleSec(), view.datagramsIn(), view.bytesIn(), view.datagramsOut(),
                view.bytesOut(), view.answered());
    }
}
