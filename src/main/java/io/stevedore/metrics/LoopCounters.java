package io.stevedore.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters of one event loop. Only that loop writes them, so an increment is a plain
 * read-add followed by an opaque store: no lock, no atomic read-modify-write, and readers on other
 * threads still see whole, monotonically growing values.
 */
public final class LoopCounters {

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Longs (one cache line) kept empty on each side so two loops' arrays never share a line. */
    static final int PAD = 8;
    private static final int REASONS = DropReason.values().length;
    private static final int LOOP_STATS = LoopCounter.values().length;
    static final int PEER_STATS = PeerCounter.values().length;

    private static final int FORWARDED_DATAGRAMS = PeerCounter.FORWARDED_DATAGRAMS.ordinal();
    private static final int FORWARDED_BYTES = PeerCounter.FORWARDED_BYTES.ordinal();
    private static final int REPLIED_DATAGRAMS = PeerCounter.REPLIED_DATAGRAMS.ordinal();
    private static final int REPLIED_BYTES = PeerCounter.REPLIED_BYTES.ordinal();
    private static final int SEND_ERRORS = PeerCounter.SEND_ERRORS.ordinal();

    private static final int RECEIVED_DATAGRAMS = loopIndex(LoopCounter.RECEIVED_DATAGRAMS);
    private static final int RECEIVED_BYTES = loopIndex(LoopCounter.RECEIVED_BYTES);

    private final long[] values;
    private final int peerBase;

    LoopCounters(int peerSlots) {
        this.peerBase = PAD + REASONS + LOOP_STATS;
        this.values = new long[peerBase + peerSlots * PEER_STATS + PAD];
    }

    private void add(int index, long delta) {
        LONGS.setOpaque(values, index, values[index] + delta);
    }

    long read(int index) {
        return (long) LONGS.getOpaque(values, index);
    }

    static int reasonIndex(DropReason reason) {
        return PAD + reason.ordinal();
    }

    static int loopIndex(LoopCounter counter) {
        return PAD + REASONS + counter.ordinal();
    }

    int peerIndex(int slot, PeerCounter counter) {
        return peerBase + slot * PEER_STATS + counter.ordinal();
    }

    public void dropped(DropReason reason) {
        add(reasonIndex(reason), 1);
    }

    public void received(int bytes) {
        add(RECEIVED_DATAGRAMS, 1);
        add(RECEIVED_BYTES, bytes);
    }

    public void sessionOpened() {
        add(loopIndex(LoopCounter.SESSIONS_OPENED), 1);
    }

    public void sessionClosed() {
        add(loopIndex(LoopCounter.SESSIONS_CLOSED), 1);
    }

    public void listenerError() {
        add(loopIndex(LoopCounter.LISTENER_ERRORS), 1);
    }

    /** A datagram of {@code bytes} sent to the peer at {@code slot} (see {@link Counters#slot}). */
    public void forwarded(int slot, int bytes) {
        int base = peerBase + slot * PEER_STATS;
        add(base + FORWARDED_DATAGRAMS, 1);
        add(base + FORWARDED_BYTES, bytes);
    }

    public void replied(int slot, int bytes) {
        int base = peerBase + slot * PEER_STATS;
        add(base + REPLIED_DATAGRAMS, 1);
        add(base + REPLIED_BYTES, bytes);
    }

    public void sendError(int slot) {
        add(peerBase + slot * PEER_STATS + SEND_ERRORS, 1);
    }
}
