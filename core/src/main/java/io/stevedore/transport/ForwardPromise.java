package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultChannelPromise;
import io.stevedore.session.Session;

/**
 * The outcome of one datagram sent to one peer. Netty settles it when the batch is flushed; the
 * promise then counts the datagram as forwarded, or reports the failure so the peer is marked down
 * and, while tries remain, the datagram goes to the next peer. For that it holds one extra
 * reference to the payload, {@code retry}, which it gives back on success.
 */
final class ForwardPromise extends DefaultChannelPromise {

    final Worker worker;
    /** The configuration the datagram was sent under: {@link #upstream} and {@link #peer} are its positions. */
    final Forwarding plan;
    final Session session;
    final int upstream;
    final int peer;
    final int slot;
    final int bytes;
    final int triesLeft;
    /** The payload kept for another try, or null on the last try. */
    final ByteBuf retry;
    /**
     * This is the datagram sent again to the same peer after an ICMP report's errno surfaced on its
     * send (the report then purged): the same errno now is this send's own.
     */
    final boolean afterReport;

    ForwardPromise(Worker worker, Forwarding plan, Session session, int upstream, int peer, int slot, int bytes,
            int triesLeft, ByteBuf retry) {
        this(worker, plan, session, upstream, peer, slot, bytes, triesLeft, retry, false);
    }

    ForwardPromise(Worker worker, Forwarding plan, Session session, int upstream, int peer, int slot, int bytes,
            int triesLeft, ByteBuf retry, boolean afterReport) {
        super(session.channel(), worker.loop);
        this.worker = worker;
        this.plan = plan;
        this.session = session;
        this.upstream = upstream;
        this.peer = peer;
        this.slot = slot;
        this.bytes = bytes;
        this.triesLeft = triesLeft;
        this.retry = retry;
        this.afterReport = afterReport;
    }

    @Override
    public boolean trySuccess(Void result) {
        if (!super.trySuccess(result)) {
            return false;
        }
        worker.forwarded(this);
        return true;
    }

    @Override
    public boolean tryFailure(Throwable cause) {
        if (!super.tryFailure(cause)) {
            return false;
        }
        worker.sendFailed(this, cause);
        return true;
    }
}
