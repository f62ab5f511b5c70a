package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * The download twin of {@link Outbox}: the replies one session socket read holds for its client
 * while the next ones may join them in one segmented send ({@link Segments}), and the listeners
 * written to this event-loop turn, each flushed once when the turn's tasks run, so that replies read
 * on many session sockets leave in one sendmmsg. Only on its loop.
 */
final class ReplyBatch {

    private final EventLoop loop;
    private final Segments segments;
    private final ByteBuf[] run = new ByteBuf[Segments.MAX_SEGMENTS];
    private int count;
    private InetSocketAddress client;
    private Listener listener;
    /** The size of the run's first reply: the segment size the kernel cuts the run into. */
    private int segment;
    private int bytes;
    /** The last reply was shorter than the segment: only the last segment of a run may be. */
    private boolean lastShort;
    private final ArrayList<Listener> unflushed = new ArrayList<>();
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushTask;

    ReplyBatch(EventLoop loop, Segments segments) {
        this.loop = loop;
        this.segments = segments;
    }

    /** Holds {@code reply} (its reference passes here) for {@code client}, to leave through {@code via}. */
    void add(Listener via, InetSocketAddress to, ByteBuf reply) {
        int length = reply.readableBytes();
        if (count > 0 && (client != to || listener != via || count == Segments.MAX_SEGMENTS || length > segment
                || bytes + length > Segments.MAX_RUN_BYTES || lastShort || !segments.combines(segment))) {
            end();
        }
        if (count == 0) {
            listener = via;
            client = to;
            segment = length;
            bytes = 0;
        }
        run[count++] = reply;
        bytes += length;
        lastShort = length < segment;
    }

    /** Writes the replies held; their listener is flushed once this turn. */
    void end() {
        if (count == 0) {
            return;
        }
        Listener written = listener;
        segments.write(written.channel, client, run, null, 0, count);
        Arrays.fill(run, 0, count, null);
        count = 0;
        client = null;
        listener = null;
        if (!written.flushPending) {
            written.flushPending = true;
            unflushed.add(written);
        }
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flushTask);
        }
    }

    private void flushTask() {
        flushScheduled = false;
        flush();
    }

    /** Flushes every listener written to since the last flush. */
    void flush() {
        for (int i = 0; i < unflushed.size(); i++) {
            Listener written = unflushed.get(i);
            written.flushPending = false;
            written.channel.flush();
        }
        unflushed.clear();
    }
}
