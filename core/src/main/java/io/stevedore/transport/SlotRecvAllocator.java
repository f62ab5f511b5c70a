package io.stevedore.transport;

import io.netty.channel.ChannelConfig;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Receive buffers of one datagram slot where traffic is light, of the whole batch otherwise. Netty's
 * epoll reads a buffer of one slot with {@code recvmsg} and one of several with {@code recvmmsg},
 * and its native {@code recvmmsg} costs more than the call itself: a {@code getsockopt} on every
 * call (whether {@code IP_RECVORIGDSTADDR} is on) and JNI work for every slot offered, filled or
 * not. Where traffic is light a wake-up finds one datagram, and a read of the whole batch paid two
 * system calls and the batch's JNI for it (docs/performance.md).
 *
 * <p>A listening socket's read offers one slot when its previous read got one datagram (or none
 * yet) and ended at least {@link #BACKLOG_NANOS} ago, so the loop has likely waited for traffic
 * since; otherwise the whole batch. A session socket's read does the same with its loop's one
 * history of session reads, and only while the loop's listeners read one slot ({@link ReadPace}):
 * under load one session's lone reply says nothing of the next session's queue, and reading that
 * queue one reply at a time cost a flood more CPU per reply. Slots in between (halved
 * or doubled by how full the last read was) cost more under load than they saved, for the same
 * reason. A read of one slot cannot see
 * whether more was queued: every {@link #PROBE_EVERY}th one tries a second {@code recvmsg}, which
 * finds the backlog of a loop too busy for the time to show it, and otherwise costs one call that
 * finds nothing.
 */
final class SlotRecvAllocator extends DefaultMaxMessagesRecvByteBufAllocator {

    /**
     * A read that starts this long after the previous one ended comes after a wait for traffic. A
     * loop that reads one datagram, flushes it and reads the next without sleeping takes 10–20 µs
     * on a calm machine; at light traffic the next datagram comes tens of microseconds or more later.
     */
    static final long BACKLOG_NANOS = 50_000;

    /** Reads of one slot per probe for a backlog. */
    static final int PROBE_EVERY = 8;

    private final int slotBytes;
    private final int maxSlots;
    private final ReadPace pace;
    private final boolean listener;

    /**
     * @param slotBytes bytes of one slot: the largest datagram accepted plus one, so a truncated
     *     one is recognised (the channel's {@code MAX_DATAGRAM_PAYLOAD_SIZE} must be the same)
     * @param maxSlots the batch: slots of one read at most
     * @param pace the event loop's, which listening sockets set and session sockets follow
     * @param listener whether this is a listening socket's allocator, else the loop's session sockets'
     */
    SlotRecvAllocator(int slotBytes, int maxSlots, ReadPace pace, boolean listener) {
        super(1);
        this.slotBytes = slotBytes;
        this.maxSlots = maxSlots;
        this.pace = pace;
        this.listener = listener;
    }

    @Override
    public Handle newHandle() {
        return new SlotHandle();
    }

    /**
     * The slots of a read that starts {@code idleNanos} after the previous read of its handle
     * ended, which got {@code lastGot} datagrams (two from one slot: its probe found a second).
     */
    static int slots(int lastGot, long idleNanos, int maxSlots) {
        return lastGot > 1 || idleNanos < BACKLOG_NANOS ? maxSlots : 1;
    }

    private final class SlotHandle extends MaxMessageHandle {

        private int slots;
        private int lastGot;
        private long lastEnd = System.nanoTime() - 2 * BACKLOG_NANOS;
        private int singleReads;
        private boolean probe;
        private int got;
        private ChannelConfig config;

        @Override
        public void reset(ChannelConfig config) {
            super.reset(config);
            this.config = config;
            got = 0;
            if (listener) {
                slots = slots(lastGot, System.nanoTime() - lastEnd, maxSlots);
                pace.light = slots == 1;
            } else {
                slots = pace.light ? slots(lastGot, System.nanoTime() - lastEnd, maxSlots) : maxSlots;
            }
            probe = slots == 1 && maxSlots > 1 && ++singleReads % PROBE_EVERY == 0;
        }

        @Override
        public int guess() {
            return slots * slotBytes;
        }

        @Override
        public void lastBytesRead(int bytes) {
            super.lastBytesRead(bytes);
            if (bytes > 0) {
                // Netty reports a recvmmsg as whole slots, a recvmsg as the datagram's length.
                got += (bytes + slotBytes - 1) / slotBytes;
            }
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            // One read per wake-up (epoll is level-triggered: a backlog wakes the loop again), and
            // the probe's second one.
            return probe && got == 1 && config.isAutoRead();
        }

        @Override
        public boolean continueReading() {
            return continueReading(null);
        }

        @Override
        public void readComplete() {
            if (got > 0) {
                // A read that got nothing (woken for an error) says nothing about the traffic.
                lastGot = got;
            }
            lastEnd = System.nanoTime();
        }
    }
}
