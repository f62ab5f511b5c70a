package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.stevedore.session.Session;

/**
 * The outcome of one datagram sent to one peer. Netty settles it when the batch is flushed; the
 * promise then counts the datagram as forwarded, or reports the failure so the peer is marked down
 * and, while tries remain, the datagram goes to the next peer. For that it holds one extra
 * reference to the payload, {@code retry}, which it gives back on success.
 *
 * <p>Its {@link Worker} reuses it for another datagram once it succeeded. A failed one is never
 * reused: {@link FailedSends} may keep it until the datagram goes again, and failures are rare.
 */
final class ForwardPromise extends LoopPromise {

    private final Worker worker;
    /** The configuration the datagram was sent under: {@link #upstream} and {@link #peer} are its positions. */
    Forwarding plan;
    Session session;
    int upstream;
    int peer;
    int slot;
    int bytes;
    int triesLeft;
    /** The payload kept for another try, or null on the last try. */
    ByteBuf retry;
    /**
     * This is the datagram sent again to the same peer after an ICMP report's errno surfaced on its
     * send (the report then purged): the same errno now is this send's own.
     */
    boolean afterReport;

    ForwardPromise(Worker worker) {
        this.worker = worker;
    }

    /** Makes this the promise of one datagram's send on {@code session}'s socket. */
    ForwardPromise arm(Forwarding plan, Session session, int upstream, int peer, int slot, int bytes, int triesLeft,
            ByteBuf retry, boolean afterReport) {
        arm(session.channel());
        this.plan = plan;
        this.session = session;
        this.upstream = upstream;
        this.peer = peer;
        this.slot = slot;
        this.bytes = bytes;
        this.triesLeft = triesLeft;
        this.retry = retry;
        this.afterReport = afterReport;
        return this;
    }

    @Override
    void succeeded() {
        worker.forwarded(this);
        plan = null;
        session = null;
        retry = null;
        worker.reuse(this);
    }

    @Override
    void failed(Throwable cause) {
        worker.sendFailed(this, cause);
    }
}
