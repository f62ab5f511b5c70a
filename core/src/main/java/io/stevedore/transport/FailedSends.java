package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramChannel;
import io.stevedore.balancing.Upstream;
import io.stevedore.health.PeerStates;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import io.stevedore.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a loop does when the kernel refuses a datagram toward a peer, or reports (ICMP) on one sent
 * earlier: {@link SendFailure} classifies, and this acts on it, counting the drop, handing a blamed
 * peer to {@link PeerStates} as suspect, or sending the datagram again through its {@link Worker}.
 * Failures are rare, so none of this is on the datagram's ordinary path. Only on the loop.
 */
final class FailedSends {

    private static final Logger log = LoggerFactory.getLogger(FailedSends.class);

    private final Worker worker;
    private final PeerChoice peers;
    private final LoopCounters counters;
    private final Transport transport;
    private final PeerStates peerStates;

    FailedSends(Worker worker, PeerChoice peers, LoopCounters counters, Transport transport, PeerStates peerStates) {
        this.worker = worker;
        this.peers = peers;
        this.counters = counters;
        this.transport = transport;
        this.peerStates = peerStates;
    }

    /** The plan the loop runs now: a reload may have come between a send and its failure. */
    private Forwarding plan() {
        return worker.forwarding();
    }

    /**
     * A send failed. {@link SendFailure} says whether the datagram is dropped at once and who is
     * blamed; otherwise it goes again, while {@code MaxTryTimes} allows, to its peer if that is still
     * in rotation, else to the next choice. When a peer was handed to {@link PeerStates} as suspect,
     * the datagram waits, off this loop, until the peer's new state is published and comes back here
     * ({@link #sendAgain}): the loop never waits for a table rebuild.
     */
    void sendFailed(ForwardPromise sent, Throwable cause) {
        Session session = sent.session;
        SendFailure failure = SendFailure.of(cause, session.isClosed(), sent.bytes,
                SocketErrors.maxPayload(plan().address(sent.slot)), sent.afterReport);
        if (failure != SendFailure.SOCKET_CLOSED) {
            // A failed send may have left a report queued (the kernel queues one for EMSGSIZE, and
            // the ICMP report behind ECONNREFUSED stays queued after it surfaced).
            transport.purgeErrorQueue((DatagramChannel) session.channel());
        }
        if (failure.dropped != null) {
            counters.dropped(failure.dropped);
            if (sent.retry != null) {
                sent.retry.release();
            }
            return;
        }
        boolean handedOver = switch (failure.blame) {
            case NOBODY -> {
                log.debug("session {}: path MTU report surfaced on a send", session.client());
                yield false;
            }
            case SESSION_HISTORY -> reported(session, cause, sent, failure.report());
            case THIS_PEER -> {
                counters.sendError(sent.slot);
                int upstream = upstreamNow(sent);
                int peer = peerNow(sent);
                yield peer != Forwarding.ABSENT
                        && suspect(upstream, peer, "send error: " + cause.getMessage(), sent, false);
            }
        };
        if (!handedOver) {
            sendAgain(sent, failure.report());
        }
    }

    /** The upstream of a failed send in the running configuration (a reload may have come between). */
    private int upstreamNow(ForwardPromise sent) {
        if (sent.plan == plan()) {
            return sent.upstream;
        }
        int upstream = plan().upstreamOf(sent.slot);
        return upstream != Forwarding.ABSENT ? upstream
                : plan().upstreamIndex(sent.plan.upstreams[sent.upstream].name());
    }

    /** The peer of a failed send in the running configuration, or {@link Forwarding#ABSENT}. */
    private int peerNow(ForwardPromise sent) {
        return sent.plan == plan() ? sent.peer : plan().peerOf(sent.slot);
    }

    /**
     * Sends a failed datagram again, to its peer if still in rotation, else to the next choice.
     *
     * @param report whether the failure may have been a report about an earlier datagram: sent
     *     again to the same peer, the same errno is then the send's own
     */
    private void sendAgain(ForwardPromise sent, boolean report) {
        if (sent.retry == null) {
            counters.dropped(DropReason.SEND_ERROR);
            return;
        }
        Session session = sent.session;
        int upstream = upstreamNow(sent);
        if (session.isClosed() || upstream == Forwarding.ABSENT) {
            drop(DropReason.SEND_ERROR, sent.retry);
            return;
        }
        int failedPeer = peerNow(sent);
        int peer = failedPeer != Forwarding.ABSENT && plan().upstreams[upstream].inRotation(failedPeer)
                ? failedPeer : peers.forSession(session, upstream, sent.retry);
        if (peer < 0) {
            drop(DropReason.SEND_ERROR, sent.retry);
            return;
        }
        worker.sendAgain(session, upstream, peer, sent.retry, sent.triesLeft - 1, report && peer == failedPeer);
    }

    /**
     * Hands {@code peer} to {@link PeerStates} as suspect. With a datagram to send again, that
     * waits for the peer's new state and comes back to this loop; returns whether it went.
     */
    private boolean suspect(int upstream, int peer, String reason, ForwardPromise waiting, boolean report) {
        Upstream suspected = plan().upstreams[upstream];
        if (waiting == null || waiting.retry == null) {
            peerStates.suspect(suspected, peer, reason);
            return false;
        }
        peerStates.suspect(suspected, peer, reason, worker.loop, () -> sendAgain(waiting, report));
        return true;
    }

    /**
     * A receive on the session's socket failed: with RECVERR set that is an ICMP error report about
     * a datagram sent earlier (or, for EMSGSIZE, a path that carries less than was sent).
     */
    void socketError(Session session, Throwable cause) {
        if (session.isClosed()) {
            return;
        }
        transport.purgeErrorQueue((DatagramChannel) session.channel());
        if (SocketErrors.unreachable(SocketErrors.errno(cause))) {
            reported(session, cause, null, false);
        } else {
            log.debug("session {}: socket error", session.client(), cause);
        }
    }

    /**
     * Epoll woke the session's socket and there was nothing to read and no error to return: an
     * ICMP report is queued whose error a send took without telling (a sendmmsg returns the error
     * of a datagram after the first as a short count). It can only be dropped.
     */
    void socketWokeEmpty(Session session) {
        if (!session.isClosed()) {
            transport.purgeErrorQueue((DatagramChannel) session.channel());
        }
    }

    /**
     * An ICMP report (port, host or network unreachable) surfaced on the session's socket. It
     * names no destination: the peer is suspected only when the session sent to that peer alone
     * lately ({@link Session#culprit}); otherwise it is counted as ambiguous and left to the active
     * health checker. Returns whether {@code waiting} went with the suspect (see {@link #suspect}).
     */
    private boolean reported(Session session, Throwable cause, ForwardPromise waiting, boolean report) {
        int slot = session.culprit(worker.now());
        if (slot == Session.NONE) {
            counters.count(LoopCounter.PASSIVE_AMBIGUOUS);
            return false;
        }
        counters.sendError(slot);
        int upstream = plan().upstreamOf(slot);
        return upstream != Forwarding.ABSENT && suspect(upstream, plan().peerOf(slot),
                "unreachable, reported by ICMP: " + cause.getMessage(), waiting, report);
    }

    private void drop(DropReason reason, ByteBuf data) {
        counters.dropped(reason);
        data.release();
    }
}
