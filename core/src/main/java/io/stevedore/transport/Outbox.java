package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPromise;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * The datagrams one read batch sends toward peers, held until the batch ends so that a session's
 * datagrams of one size to one peer leave as one segmented send ({@link Segments}). Datagrams of
 * different sessions interleave in a batch; each session's keep their order: a run takes the
 * session's next datagrams while they fit (same peer address, same size, the last one may be
 * shorter) and stops at the first that does not.
 */
final class Outbox {

    /**
     * How far past a run's first datagram the run looks for the rest, so a batch of BatchSize
     * datagrams from as many clients costs a bounded scan per datagram, not one over the batch.
     * Datagrams of the session beyond it start a run of their own, after this one: order holds.
     */
    static final int SCAN_AHEAD = 128;

    private final Segments segments;
    private Session[] sessions = new Session[64];
    private InetSocketAddress[] targets = new InetSocketAddress[64];
    private ByteBuf[] data = new ByteBuf[64];
    private ChannelPromise[] promises = new ChannelPromise[64];
    private boolean[] taken = new boolean[64];
    private int size;
    private final ByteBuf[] run = new ByteBuf[Segments.MAX_SEGMENTS];
    private final ChannelPromise[] runPromises = new ChannelPromise[Segments.MAX_SEGMENTS];

    Outbox(Segments segments) {
        this.segments = segments;
    }

    /** Queues {@code datagram} (its reference passes here) for {@link #writeAll()}. */
    void add(Session session, InetSocketAddress target, ByteBuf datagram, ChannelPromise promise) {
        if (size == sessions.length) {
            int grown = size * 2;
            sessions = Arrays.copyOf(sessions, grown);
            targets = Arrays.copyOf(targets, grown);
            data = Arrays.copyOf(data, grown);
            promises = Arrays.copyOf(promises, grown);
            taken = Arrays.copyOf(taken, grown);
        }
        sessions[size] = session;
        targets[size] = target;
        data[size] = datagram;
        promises[size] = promise;
        size++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Writes every queued datagram to its session's socket, in runs; flushing is the caller's. */
    void writeAll() {
        // size is read afresh: a write that fails at once (a closed socket) may queue a retry here.
        for (int i = 0; i < size; i++) {
            if (taken[i]) {
                continue;
            }
            Session session = sessions[i];
            InetSocketAddress target = targets[i];
            int segment = data[i].readableBytes();
            run[0] = data[i];
            runPromises[0] = promises[i];
            int count = 1;
            if (segments.combines(segment)) {
                int bytes = segment;
                int last = Math.min(size, i + 1 + SCAN_AHEAD);
                for (int j = i + 1; j < last && count < Segments.MAX_SEGMENTS; j++) {
                    if (taken[j] || sessions[j] != session) {
                        continue;
                    }
                    int length = data[j].readableBytes();
                    if (!sameAddress(targets[j], target) || length > segment
                            || bytes + length > Segments.MAX_RUN_BYTES) {
                        break;
                    }
                    taken[j] = true;
                    run[count] = data[j];
                    runPromises[count] = promises[j];
                    count++;
                    bytes += length;
                    if (length < segment) {
                        break;
                    }
                }
            }
            segments.write(session.channel(), target, run, runPromises, 0, count);
        }
        Arrays.fill(sessions, 0, size, null);
        Arrays.fill(targets, 0, size, null);
        Arrays.fill(data, 0, size, null);
        Arrays.fill(promises, 0, size, null);
        Arrays.fill(taken, 0, size, false);
        Arrays.fill(run, null);
        Arrays.fill(runPromises, null);
        size = 0;
    }

    private static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
        return a == b || a.equals(b);
    }
}
