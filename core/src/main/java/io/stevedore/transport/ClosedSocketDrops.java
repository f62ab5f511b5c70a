package io.stevedore.transport;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's drop counts of session sockets as they close, handed from their event loops to
 * {@link KernelDrops}, which adds what its last reading of the kernel's tables had not seen: a socket's
 * counter goes with the socket. Lock-free: a socket closes on its loop, the tables are read on the
 * admin endpoint's thread. Only sockets that dropped something are handed over; past
 * {@link #MAX_PENDING} of them with no reading in between, the rest count whole, even what a
 * reading before had seen of them.
 */
final class ClosedSocketDrops {

    static final int MAX_PENDING = 65_536;

    /** A socket (its inode) and all it dropped in its life. */
    record Closed(long inode, long drops) {
    }

    private final ConcurrentLinkedQueue<Closed> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong whole = new AtomicLong();

    /** On the socket's loop, before it closes. */
    void closed(long inode, long drops) {
        if (size.incrementAndGet() > MAX_PENDING) {
            size.decrementAndGet();
            whole.addAndGet(drops);
            return;
        }
        pending.add(new Closed(inode, drops));
    }

    /** The next socket closed since the last call, or null. */
    Closed poll() {
        Closed closed = pending.poll();
        if (closed != null) {
            size.decrementAndGet();
        }
        return closed;
    }

    /** What sockets beyond {@link #MAX_PENDING} dropped, since the last call. */
    long takeWhole() {
        return whole.getAndSet(0);
    }
}
