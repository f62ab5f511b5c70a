package io.stevedore.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters of one event loop. Only that loop writes them, so an increment is a plain
 * read-add followed by an opaque store: no lock, no atomic read-modify-write, and readers on other
 * threads still see whole, monotonically growing values.
 *
 * <p>A reload may add peers: the owning loop then grows the array ({@link #ensurePeerSlots}),
 * copying what it counted so far and publishing the bigger array with a release store. The loop
 * itself reads the field plainly, as before; readers acquire it.
 */
public final class LoopCounters {

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle VALUES;

    static {
        try {
            VALUES = MethodHandles.lookup().findVarHandle(LoopCounters.class, "values", long[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Longs (one cache line) kept empty on each side so two loops' arrays never share a line. */
    static final int PAD = 8;
    private static final int REASONS = DropReason.values().length;
    private static final int LOOP_STATS = LoopCounter.values().length;
    private static final int CLOSE_REASONS = CloseReason.values().length;
    static final int PEER_STATS = PeerCounter.values().length;
    private static final int PEER_BASE = PAD + REASONS + LOOP_STATS + CLOSE_REASONS;

    private static final int FORWARDED_DATAGRAMS = PeerCounter.FORWARDED_DATAGRAMS.ordinal();
    private static final int FORWARDED_BYTES = PeerCounter.FORWARDED_BYTES.ordinal();
    private static final int REPLIED_DATAGRAMS = PeerCounter.REPLIED_DATAGRAMS.ordinal();
    private static final int REPLIED_BYTES = PeerCounter.REPLIED_BYTES.ordinal();
    private static final int SEND_ERRORS = PeerCounter.SEND_ERRORS.ordinal();
    private static final int SESSIONS = PeerCounter.SESSIONS.ordinal();
    private static final int QUIC_SERVER_ID = PeerCounter.QUIC_SERVER_ID.ordinal();
    private static final int QUIC_FALLBACK = PeerCounter.QUIC_FALLBACK.ordinal();

    private static final int RECEIVED_DATAGRAMS = loopIndex(LoopCounter.RECEIVED_DATAGRAMS);
    private static final int RECEIVED_BYTES = loopIndex(LoopCounter.RECEIVED_BYTES);

    @SuppressWarnings("unused") // written through VALUES
    private long[] values;

    LoopCounters(int peerSlots) {
        this.values = new long[length(peerSlots)];
    }

    private static int length(int peerSlots) {
        return PEER_BASE + peerSlots * PEER_STATS + PAD;
    }

    /**
     * Makes room for peer slots {@code [0, peerSlots)}. Only the owning loop may call it, before
     * it counts for the new slots; counts of existing slots carry over.
     */
    public void ensurePeerSlots(int peerSlots) {
        long[] current = values;
        int length = length(peerSlots);
        if (current.length >= length) {
            return;
        }
        long[] grown = new long[length];
        System.arraycopy(current, 0, grown, 0, current.length - PAD);
        VALUES.setRelease(this, grown);
    }

    private void add(int index, long delta) {
        long[] v = values;
        LONGS.setOpaque(v, index, v[index] + delta);
    }

    /** Any thread; an index past what the loop has grown to reads 0. */
    long read(int index) {
        long[] v = (long[]) VALUES.getAcquire(this);
        return index < v.length - PAD ? (long) LONGS.getOpaque(v, index) : 0;
    }

    static int reasonIndex(DropReason reason) {
        return PAD + reason.ordinal();
    }

    static int loopIndex(LoopCounter counter) {
        return PAD + REASONS + counter.ordinal();
    }

    static int closeIndex(CloseReason reason) {
        return PAD + REASONS + LOOP_STATS + reason.ordinal();
    }

    static int peerIndex(int slot, PeerCounter counter) {
        return PEER_BASE + slot * PEER_STATS + counter.ordinal();
    }

    public void dropped(DropReason reason) {
        add(reasonIndex(reason), 1);
    }

    public void received(int bytes) {
        add(RECEIVED_DATAGRAMS, 1);
        add(RECEIVED_BYTES, bytes);
    }

    /** One more of {@code counter}; the counters counted in pairs have methods of their own below. */
    public void count(LoopCounter counter) {
        add(loopIndex(counter), 1);
    }

    /** A session ended: {@link LoopCounter#SESSIONS_CLOSED} is the sum over the reasons. */
    public void sessionClosed(CloseReason reason) {
        add(loopIndex(LoopCounter.SESSIONS_CLOSED), 1);
        add(closeIndex(reason), 1);
    }

    /** One segmented send of {@code datagrams} went out. */
    public void segmented(int datagrams) {
        add(loopIndex(LoopCounter.SEGMENTED_SENDS), 1);
        add(loopIndex(LoopCounter.SEGMENTED_DATAGRAMS), datagrams);
    }

    /** A datagram of {@code bytes} sent to the peer at {@code slot} (see {@link Counters#slot}). */
    public void forwarded(int slot, int bytes) {
        int base = PEER_BASE + slot * PEER_STATS;
        add(base + FORWARDED_DATAGRAMS, 1);
        add(base + FORWARDED_BYTES, bytes);
    }

    public void replied(int slot, int bytes) {
        int base = PEER_BASE + slot * PEER_STATS;
        add(base + REPLIED_DATAGRAMS, 1);
        add(base + REPLIED_BYTES, bytes);
    }

    /** A {@code quic} upstream sent a datagram to the peer at {@code slot}, by its server ID or as the fallback. */
    public void quic(int slot, boolean byServerId) {
        add(PEER_BASE + slot * PEER_STATS + (byServerId ? QUIC_SERVER_ID : QUIC_FALLBACK), 1);
    }

    public void sendError(int slot) {
        add(PEER_BASE + slot * PEER_STATS + SEND_ERRORS, 1);
    }

    /** A session of this loop sent to the peer at {@code slot} for the first time. */
    public void peerSessionJoined(int slot) {
        add(PEER_BASE + slot * PEER_STATS + SESSIONS, 1);
    }

    /** A session of this loop that had sent to the peer at {@code slot} closed. */
    public void peerSessionLeft(int slot) {
        add(PEER_BASE + slot * PEER_STATS + SESSIONS, -1);
    }
}
