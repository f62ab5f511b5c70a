package io.stevedore.transport;

import io.stevedore.session.Session;
import java.util.Arrays;

/**
 * What a live session remembers across a reload that keeps it, translated from the previous plan's
 * positions to the next one's by peer (upstream name and address): a kept peer
 * ({@code Affinity: session}) that is still configured in an upstream that keeps peers stays kept,
 * one that is gone is chosen again on the next datagram; latches of peers still configured with
 * {@code Latch} stay, the others are forgotten.
 */
final class SessionCarryOver {

    private SessionCarryOver() {
    }

    static void apply(Session session, Forwarding previous, Forwarding next) {
        session.keepPeers(next.anyKeptPeer ? keptPeers(session, previous, next) : null);
        int latchSlots = latchSlots(next);
        session.resizeLatches(latchSlots);
        for (int slot = 0; slot < latchSlots; slot++) {
            if (!next.has(slot) || !next.latch(slot)) {
                session.latch(slot, null);
            }
        }
    }

    /** The latch slots a session needs under {@code plan}: none unless a peer latches. */
    static int latchSlots(Forwarding plan) {
        return plan.anyLatch ? plan.slotCount() : 0;
    }

    private static int[] keptPeers(Session session, Forwarding previous, Forwarding next) {
        int[] kept = new int[next.upstreams.length];
        Arrays.fill(kept, Session.NONE);
        if (!session.keepsPeers()) {
            return kept;
        }
        for (int u = 0; u < previous.upstreams.length; u++) {
            int peer = previous.keepsPeer[u] ? session.keptPeer(u) : Session.NONE;
            if (peer == Session.NONE) {
                continue;
            }
            int slot = previous.slot(u, peer);
            int upstream = next.upstreamOf(slot);
            if (upstream != Forwarding.ABSENT && next.keepsPeer[upstream]) {
                kept[upstream] = next.peerOf(slot);
            }
        }
        return kept;
    }
}
