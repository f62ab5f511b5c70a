package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import java.net.InetSocketAddress;
import java.util.Arrays;

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
    /** Promises of runs settled, for the next runs. */
    private final FreeList<RunPromise> runs = new FreeList<>(1024);

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
        ByteBuf run = CopyBuffers.of(bytes);
        RunPromise promise = runs.take();
        if (promise == null) {
            promise = new RunPromise(this);
        }
        promise.arm(channel, target, run, count, promises != null, segment);
        for (int i = 0; i < count; i++) {
            ByteBuf datagram = data[from + i];
            run.writeBytes(datagram, datagram.readerIndex(), datagram.readableBytes());
            datagram.release();
            if (promises != null) {
                promise.each[i] = promises[from + i];
            }
        }
        channel.write(new SegmentedDatagramPacket(run.retain(), segment, target), promise);
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

    /**
     * Settles a run: each datagram's promise on success, each datagram sent alone on failure. The
     * loop reuses it for a later run once settled.
     */
    private static final class RunPromise extends LoopPromise {
        private final Segments segments;
        private final ChannelPromise[] each = new ChannelPromise[MAX_SEGMENTS];
        private InetSocketAddress target;
        /** The run's bytes, one reference held until the send settles. */
        private ByteBuf kept;
        private int count;
        /** Whether {@link #each} holds the datagrams' promises; if not, nobody waits for them. */
        private boolean waited;
        private int segment;

        RunPromise(Segments segments) {
            this.segments = segments;
        }

        void arm(Channel channel, InetSocketAddress target, ByteBuf kept, int count, boolean waited, int segment) {
            arm(channel);
            this.target = target;
            this.kept = kept;
            this.count = count;
            this.waited = waited;
            this.segment = segment;
        }

        /** Datagram {@code i} of the run, as a buffer of its own. */
        private ByteBuf datagram(int i) {
            int offset = i * segment;
            return kept.retainedSlice(offset, Math.min(segment, kept.writerIndex() - offset));
        }

        private ChannelPromise promise(int i) {
            return waited ? each[i] : channel().voidPromise();
        }

        @Override
        void succeeded() {
            segments.counters.segmented(count);
            kept.release();
            if (waited) {
                for (int i = 0; i < count; i++) {
                    each[i].trySuccess();
                }
            }
            reuse();
        }

        @Override
        void failed(Throwable cause) {
            Channel channel = channel();
            int first = 0;
            if (!segments.refusedAsRun(segment, cause)) {
                // As a lone send of the first datagram would have failed: its promise gets the error
                // (a peer's ECONNREFUSED marks it down), the rest go out on their own.
                promise(0).tryFailure(cause);
                first = 1;
            }
            for (int i = first; i < count; i++) {
                channel.write(new DatagramPacket(datagram(i), target), promise(i));
            }
            kept.release();
            // Inside the flush that failed, this marks the writes above for that same flush.
            channel.flush();
            reuse();
        }

        private void reuse() {
            if (waited) {
                Arrays.fill(each, 0, count, null);
            }
            target = null;
            kept = null;
            segments.runs.give(this);
        }
    }
}
