package io.stevedore.transport;

import io.stevedore.metrics.DropReason;
import java.nio.channels.ClosedChannelException;

/**
 * What a failed send toward a peer means, and so what happens to its datagram: a pure function of
 * the error, the datagram's size and whether the datagram was already sent again after a report.
 *
 * <p>With {@code IP_RECVERR} set, Linux keeps the error of every ICMP report on the socket and fails
 * the socket's next send with it, whatever that send's destination: such an errno may be about an
 * earlier datagram, so it is never pinned on this send's peer for being the one that met it.
 */
enum SendFailure {

    /** The session's socket is gone: the datagram is dropped, nobody is blamed. */
    SOCKET_CLOSED(DropReason.SEND_ERROR, Blame.NOBODY),
    /**
     * EMSGSIZE for a datagram larger than UDP carries to its peer's family (an IPv6 socket sending
     * to an IPv4 peer): not the peer's fault, and no other peer would take it either.
     */
    TOO_LARGE(DropReason.OVERSIZE, Blame.NOBODY),
    /** A "fragmentation needed" report about an earlier datagram: nobody's fault; sent again. */
    PATH_MTU_REPORT(null, Blame.NOBODY),
    /**
     * An ICMP report (refused, host or network unreachable...), possibly about an earlier datagram
     * to another peer: pinned by the session's history ({@code Session.culprit}); sent again.
     */
    ICMP_REPORT(null, Blame.SESSION_HISTORY),
    /**
     * The kernel refused this very send (EACCES, no route on a send after the report was purged...):
     * its peer is counted a send error and marked down, and the datagram goes to the next choice.
     */
    PEER_FAILED(null, Blame.THIS_PEER);

    /** Who a failure is pinned on. */
    enum Blame {
        NOBODY,
        /** The peer the session alone sent to lately, if any; else counted as ambiguous. */
        SESSION_HISTORY,
        THIS_PEER
    }

    /** The reason the datagram is dropped at once, or null when it is tried again while tries remain. */
    final DropReason dropped;
    final Blame blame;

    SendFailure(DropReason dropped, Blame blame) {
        this.dropped = dropped;
        this.blame = blame;
    }

    /**
     * Whether the error may be a report about an earlier datagram: the datagram sent again to the
     * same peer is then sent "after a report", the report purged, so the same errno is its own.
     */
    boolean report() {
        return this == PATH_MTU_REPORT || this == ICMP_REPORT;
    }

    /**
     * @param sessionClosed whether the datagram's session was closed by then
     * @param bytes the datagram's size
     * @param maxPayload the largest datagram UDP carries to its peer ({@link SocketErrors#maxPayload})
     * @param afterReport whether the datagram was sent again to its peer after a report surfaced on
     *     its previous send, the report then purged
     */
    static SendFailure of(Throwable cause, boolean sessionClosed, int bytes, int maxPayload, boolean afterReport) {
        if (sessionClosed || cause instanceof ClosedChannelException) {
            return SOCKET_CLOSED;
        }
        return of(SocketErrors.errno(cause), bytes, maxPayload, afterReport);
    }

    /** As above, for an open socket and the send's errno (0: none known). */
    static SendFailure of(int errno, int bytes, int maxPayload, boolean afterReport) {
        if (errno == SocketErrors.EMSGSIZE) {
            return bytes > maxPayload ? TOO_LARGE : PATH_MTU_REPORT;
        }
        if (!SocketErrors.icmpReport(errno)) {
            return PEER_FAILED;
        }
        // A route lookup can fail this way on its own, and the report was purged before this retry:
        // the error is this send's. A refusal (ECONNREFUSED) never is: it is a new report, from a
        // datagram sent in the meantime.
        return afterReport && SocketErrors.noRoute(errno) ? PEER_FAILED : ICMP_REPORT;
    }
}
