package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.stevedore.balancing.Selector;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;

/**
 * Which peer of an upstream a client datagram goes to, for one event loop: the selector's choice,
 * bent by what the session remembers (a kept peer under {@code Affinity: session}, a {@code quic}
 * upstream's fallback) and by draining (a draining peer only for a session that already sent to
 * it). Holds the loop's {@link Selector}s, one per upstream of the running plan; only on the loop.
 */
final class PeerChoice {

    private Forwarding plan;
    private Selector[] selectors;
    /** Whether the last {@link #quicPeer} went by the connection ID's server ID rather than the fallback. */
    private boolean byServerId;

    PeerChoice(Forwarding plan) {
        replan(plan);
    }

    /** Chooses under {@code next} from now on, with fresh selectors (a reload). */
    void replan(Forwarding next) {
        Selector[] fresh = new Selector[next.upstreams.length];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = next.upstreams[i].newSelector();
        }
        plan = next;
        selectors = fresh;
    }

    /**
     * The peer for the first datagram of a client without a session, chosen before the session
     * opens so that a datagram that cannot go anywhere costs no socket; {@link #opened} then
     * records what the new session keeps. A peer index, or {@link Selector#NO_PEER} /
     * {@link Selector#SHORT_KEY}.
     */
    int forNewClient(int upstream, ByteBuf data, InetSocketAddress client) {
        return plan.quic[upstream] ? quicPeer(upstream, data, client, null)
                : undrained(null, upstream, selectors[upstream].select(data), data);
    }

    /** The new session keeps the peer {@link #forNewClient} chose, when its upstream keeps one. */
    void opened(Session session, int upstream, int peer) {
        if (plan.sessionAffinity[upstream] || plan.quic[upstream] && !byServerId) {
            session.keepPeer(upstream, peer);
        }
    }

    /** The peer for a datagram of {@code session}, which it may keep from now on; as {@link #forNewClient}. */
    int forSession(Session session, int upstream, ByteBuf data) {
        if (plan.quic[upstream]) {
            return quicPeer(upstream, data, session.client(), session);
        }
        if (!plan.sessionAffinity[upstream]) {
            return undrained(session, upstream, selectors[upstream].select(data), data);
        }
        int kept = session.keptPeer(upstream);
        if (kept != Session.NONE && plan.upstreams[upstream].inRotation(kept)) {
            return kept;
        }
        int peer = undrained(session, upstream, selectors[upstream].select(data), data);
        session.keepPeer(upstream, peer >= 0 ? peer : Session.NONE);
        return peer;
    }

    /** Whether the last choice for a {@code quic} upstream went by the datagram's server ID. */
    boolean byServerId() {
        return byServerId;
    }

    /**
     * {@code peer}, the selector's choice, unless it drains and {@code session} (null: one not yet
     * open) never sent to it: then a peer that does not drain. What a session used is looked up
     * only when the choice drains.
     */
    private int undrained(Session session, int upstream, int peer, ByteBuf data) {
        Selector selector = selectors[upstream];
        if (peer >= 0 && selector.draining(peer)
                && (session == null || !session.used(plan.slot(upstream, peer)))) {
            return selector.fresh(data);
        }
        return peer;
    }

    /**
     * The peer of a {@code quic} upstream for {@code data}: the one its connection ID names while
     * that peer is up; else the session's fallback peer while in rotation, so all of a client's
     * unroutable datagrams (its Initials) reach one server; else a new fallback by the client's
     * address and port, which the session remembers. Sets {@link #byServerId}.
     *
     * @param session the client's session, or null before it has one ({@link #opened} keeps the fallback)
     */
    private int quicPeer(int upstream, ByteBuf data, InetSocketAddress client, Session session) {
        Selector selector = selectors[upstream];
        int peer = selector.byServerId(data);
        byServerId = peer >= 0;
        if (byServerId) {
            return peer;
        }
        int kept = session == null ? Session.NONE : session.keptPeer(upstream);
        if (kept != Session.NONE && plan.upstreams[upstream].inRotation(kept)) {
            return kept;
        }
        peer = selector.byClient(client);
        if (session != null) {
            session.keepPeer(upstream, peer >= 0 ? peer : Session.NONE);
        }
        return peer;
    }
}
