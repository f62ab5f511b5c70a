package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import java.net.InetSocketAddress;

/**
 * UDP generic segmentation offload ({@code UDP_SEGMENT}) for one event loop: datagrams of one size
 * bound for one address leave in one send, as one buffer that the kernel cuts into datagrams. The
 * kernel then builds one packet, looks up one route and, on loopback, delivers the run in one pass
 * instead of once per datagram, which is most of a proxy's cost per datagram (docs/performance.md).
 *
 * <p>The run is copied into one pooled buffer: a composite of the datagrams themselves would cost
 * per datagram a component and, when Netty hands it to the kernel, a {@code ByteBuffer} slice, where
 * the copy is a few dozen bytes of memcpy and nothing on the heap (docs/performance.md). Every segment
 * but the last must be exactly the first one's size; the last may be shorter. The run buffer is
 * kept by one more reference until the send settles: when the kernel refuses the run as a whole (a
 * segment larger than the path's MTU is refused with EINVAL where a lone datagram would be
 * fragmented), each datagram is sent again on its own, as a slice of it, and this loop stops
 * combining datagrams of that size and above. Any other error settles the first datagram's
 * promise, as its lone send would have, and the others are sent on their own.
 */
final class Segments {

    /** The kernel's UDP_MAX_SEGMENTS was 64 before Linux 6.x raised it; stay within both. */
    static final int MAX_SEGMENTS = 64;
    /** A run's payload with the UDP header must fit the header's 16-bit length. */
    static final int MAX_RUN_BYTES = 65_000;

    private static final int EIO = 5;
    private static final int EINVAL = 22;

    private final boolean supported;
    private final LoopCounters counters;
    private int maxSegment = MAX_RUN_BYTES;

    Segments(boolean supported, LoopCounters counters) {
        this.supported = supported;
        this.counters = counters;
    }

    /** Whether datagrams of {@code size} bytes may be combined on this loop. */
    boolean combines(int size) {
        return supported && size <= maxSegment;
    }

    /**
     * Writes {@code count} datagrams from {@code data[from..]} to {@code target} on {@code channel},
     * as one segmented send when there are several. Each datagram's reference passes to the write.
     *
     * @param promises each datagram's own promise, settled as if it had been sent alone; null for
     *     datagrams nobody waits for (void promises)
     */
    void write(Channel channel, InetSocketAddress target, ByteBuf[] data, ChannelPromise[] promises, int from,
            int count) {
        if (count == 1) {
            channel.write(new DatagramPacket(data[from], target),
                    promises == null ? channel.voidPromise() : promises[from]);
            return;
        }
        int segment = data[from].readableBytes();
        int bytes = 0;
        for (int i = from; i < from + count; i++) {
            bytes += data[i].readableBytes();
        }
        ByteBuf run = channel.alloc().directBuffer(bytes, bytes);
        ChannelPromise[] each = promises == null ? null : new ChannelPromise[count];
        for (int i = 0; i < count; i++) {
            ByteBuf datagram = data[from + i];
            run.writeBytes(datagram, datagram.readerIndex(), datagram.readableBytes());
            datagram.release();
            if (each != null) {
                each[i] = promises[from + i];
            }
        }
        channel.write(new SegmentedDatagramPacket(run.retain(), segment, target),
                new RunPromise(channel, this, target, run, count, each, segment));
    }

    /**
     * Whether the kernel refused the run for being one (a segment above the path's MTU, no offload
     * on the route): then this loop stops combining datagrams of that size and above. Any other
     * error is the destination's or the socket's, and is what the run's first datagram alone
     * would have met.
     */
    private boolean refusedAsRun(int segment, Throwable cause) {
        if (!(cause instanceof Errors.NativeIoException refusal)) {
            return false;
        }
        int errno = -refusal.expectedErr();
        if (errno != EINVAL && errno != EIO) {
            return false;
        }
        counters.count(LoopCounter.SEGMENTED_REFUSED);
        maxSegment = Math.min(maxSegment, segment - 1);
        return true;
    }

    /** Settles a run: each datagram's promise on success, each datagram sent alone on failure. */
    private static final class RunPromise extends DefaultChannelPromise {
        private final Segments segments;
        private final InetSocketAddress target;
        /** The run's bytes, one reference held until the send settles. */
        private final ByteBuf kept;
        private final int count;
        private final ChannelPromise[] each;
        private final int segment;

        RunPromise(Channel channel, Segments segments, InetSocketAddress target, ByteBuf kept, int count,
                ChannelPromise[] each, int segment) {
            super(channel, channel.eventLoop());
            this.segments = segments;
            this.target = target;
            this.kept = kept;
            this.count = count;
            this.each = each;
            this.segment = segment;
        }

        /** Datagram {@code i} of the run, as a buffer of its own. */
        private ByteBuf datagram(int i) {
            int offset = i * segment;
            return kept.retainedSlice(offset, Math.min(segment, kept.writerIndex() - offset));
        }

        @Override
        public boolean trySuccess(Void result) {
            if (!super.trySuccess(result)) {
                return false;
            }
            segments.counters.segmented(count);
            kept.release();
            if (each != null) {
                for (int i = 0; i < count; i++) {
                    each[i].trySuccess();
                }
            }
            return true;
        }

        @Override
        public boolean tryFailure(Throwable cause) {
            if (!super.tryFailure(cause)) {
                return false;
            }
            Channel channel = channel();
            int first = 0;
            if (!segments.refusedAsRun(segment, cause)) {
                // As a lone send of the first datagram would have failed: its promise gets the error
                // (a peer's ECONNREFUSED marks it down), the rest go out on their own.
                (each == null ? channel.voidPromise() : each[0]).tryFailure(cause);
                first = 1;
            }
            for (int i = first; i < count; i++) {
                channel.write(new DatagramPacket(datagram(i), target), each == null ? channel.voidPromise() : each[i]);
            }
            kept.release();
            // Inside the flush that failed, this marks the writes above for that same flush.
            channel.flush();
            return true;
        }
    }
}
