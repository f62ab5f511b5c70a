package io.stevedore.session;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * One client (IP, port) and the upstream socket that speaks for it. A session belongs to the event
 * loop that received its client's first datagram: only that loop reads or writes these fields, so
 * none of them is volatile. It is opened by {@link SessionTable#open} and closed once, by
 * {@link SessionTable#close}, which also removes it from the table and closes its socket.
 *
 * <p>There may be a hundred thousand of these, so it is kept to 120 bytes (two references of it
 * serve the PROXY protocol alone, null without it): times are ints
 * (idle time and age in seconds, the attribution window below in milliseconds) but for the opening
 * time in nanoseconds the access log's duration needs, and the table it belongs to is the caller's
 * to know. Four longs of it count the traffic each way, for {@code GET /sessions}. Eight of them are the two links of the table's list of sessions no peer
 * has answered yet ({@link SessionTable}), which is what lets a new client at {@code MaxSessions}
 * evict one in constant time; the flag saying whether a peer answered fits in the padding.
 *
 * <p>Besides its idle clock, a session remembers what {@code Affinity: session} and {@code Latch}
 * need: the peer kept per upstream, and the address each peer last replied from. Peers are named by
 * their flat slot (upstream, peer) across the configuration. It also remembers every peer it has
 * sent to, which is what lets a draining peer ({@code Drain}) keep its sessions and refuse the
 * others, and what the per-peer session count counts: a bit per slot in a long, and beyond the
 * first 64 slots (many reloads adding peers) in an array made when first needed.
 *
 * <p>It also remembers enough to say which peer an ICMP error report is about
 * ({@link #culprit}): the report names no destination, so it can be pinned on the session's last
 * peer only when the session has sent nowhere else for {@link #ATTRIBUTION_WINDOW_MILLIS}.
 */
public final class Session {

    /** No peer kept, or no slot. */
    public static final int NONE = -1;

    /**
     * How long after sending somewhere else an ICMP error report may still be about that other
     * destination: well above any round trip to a peer, so that the reports of datagrams sent to a
     * peer that just died are not pinned on the peer the session moved on to.
     */
    public static final int ATTRIBUTION_WINDOW_MILLIS = 1000;

    private final InetSocketAddress client;
    /** Where replies go when that is not {@link #client}: the front tier that sent a PROXY header. */
    private InetSocketAddress replyTo;
    /** The PROXY protocol v2 header naming this client, built when first sent to such an upstream. */
    private byte[] proxyHeader;
    private int[] keptPeers;
    private InetSocketAddress[] latched;
    private Channel channel;
    /** The loop's clock in whole seconds when traffic last passed, in either direction. */
    private int lastActiveSecond;
    private int lastSlot = NONE;
    private int replyVia;
    /**
     * The loop's clock in milliseconds (wrapping) when the session last sent to a destination other
     * than {@link #lastSlot}'s configured address.
     */
    private int mixedMillis;
    private boolean flushPending;
    private boolean closed;
    /** Whether a peer's reply was relayed to the client: the session may no longer be evicted. */
    private boolean answered;
    /** The loop's clock in whole seconds when the session opened: its age, for {@code GET /sessions}. */
    private final int openedSecond;
    /** The loop's clock when the session opened, finer than {@link #openedSecond}: the access log's duration. */
    private final long openedNanos;
    /** Datagrams and payload bytes from the client that the session took, and relayed back to it. */
    private long datagramsIn;
    private long bytesIn;
    private long datagramsOut;
    private long bytesOut;
    /** Slots below 64 this session has sent to, a bit each; {@link #usedBeyond} holds the others. */
    private long usedSlots;
    private long[] usedBeyond;
    /**
     * Neighbours in the table's list of unanswered sessions, by last activity; null at either end,
     * and both null once answered or closed.
     */
    Session older;
    Session newer;

    Session(InetSocketAddress client, int affinityUpstreams, int latchSlots, long nowNanos) {
        this.client = client;
        this.lastActiveSecond = second(nowNanos);
        this.openedSecond = lastActiveSecond;
        this.openedNanos = nowNanos;
        this.mixedMillis = millis(nowNanos) - ATTRIBUTION_WINDOW_MILLIS - 1;
        if (affinityUpstreams > 0) {
            keptPeers = new int[affinityUpstreams];
            Arrays.fill(keptPeers, NONE);
        } else {
            keptPeers = null;
        }
        latched = latchSlots > 0 ? new InetSocketAddress[latchSlots] : null;
    }

    void attach(Channel channel) {
        this.channel = channel;
    }

    public InetSocketAddress client() {
        return client;
    }

    /** The session's own upstream socket: unconnected, so any peer port may answer on it. */
    public Channel channel() {
        return channel;
    }

    /**
     * Traffic in either direction: the session is not idle. Through {@link SessionTable#touch},
     * which also keeps its list of unanswered sessions in order of activity.
     */
    void touch(long nowNanos) {
        lastActiveSecond = second(nowNanos);
    }

    /**
     * Whether no traffic passed for more than {@code timeoutSec} by the second: never less, and up
     * to a second more, which the sweep's own period dwarfs.
     */
    boolean idleLongerThan(int timeoutSec, long nowNanos) {
        // int arithmetic on purpose: the difference stays right when the seconds clock wraps.
        return second(nowNanos) - lastActiveSecond > timeoutSec;
    }

    private static int second(long nanos) {
        return (int) Math.floorDiv(nanos, 1_000_000_000L);
    }

    private static int millis(long nanos) {
        return (int) Math.floorDiv(nanos, 1_000_000L);
    }

    /** The peer kept for the upstream at {@code upstream} under {@code Affinity: session}, or {@link #NONE}. */
    public int keptPeer(int upstream) {
        return keptPeers[upstream];
    }

    /** How many upstream positions {@link #keptPeer} covers: 0 when no upstream has {@code Affinity: session}. */
    public int keptPeerSlots() {
        return keptPeers == null ? 0 : keptPeers.length;
    }

    public void keepPeer(int upstream, int peer) {
        keptPeers[upstream] = peer;
    }

    /** Whether this session has room to keep a peer per upstream (some upstream has {@code Affinity: session}). */
    public boolean keepsPeers() {
        return keptPeers != null;
    }

    /**
     * After a reload: the kept peers under the new configuration's upstream positions, or null
     * when no upstream has {@code Affinity: session} any more.
     */
    public void keepPeers(int[] peers) {
        keptPeers = peers;
    }

    /**
     * After a reload: room for the latches of slots {@code [0, slots)}, keeping those recorded
     * below it; 0 forgets them all.
     */
    public void resizeLatches(int slots) {
        if (slots == 0) {
            latched = null;
        } else if (latched == null) {
            latched = new InetSocketAddress[slots];
        } else if (latched.length != slots) {
            latched = Arrays.copyOf(latched, slots);
        }
    }

    /** Where the peer at {@code slot} last replied from, when that differs from its configured address; else null. */
    public InetSocketAddress latched(int slot) {
        return latched == null ? null : latched[slot];
    }

    /** Records the reply source of the peer at {@code slot}; null goes back to the configured address. */
    public void latch(int slot, InetSocketAddress source) {
        latched[slot] = source;
    }

    /**
     * Which of its loop's listening sockets replies leave by: the one bound to the local address
     * the client last wrote to (numbered by the transport).
     */
    public int replyVia() {
        return replyVia;
    }

    public void replyVia(int listener) {
        replyVia = listener;
    }

    /** The address replies go to: the client's own, or the front tier's that spoke for it. */
    public InetSocketAddress replyTo() {
        return replyTo == null ? client : replyTo;
    }

    /** Replies go to {@code sender}; null: to the client itself. */
    public void replyTo(InetSocketAddress sender) {
        replyTo = sender;
    }

    /** The PROXY header that names this client to peers, or null until one is built. */
    public byte[] proxyHeader() {
        return proxyHeader;
    }

    public void proxyHeader(byte[] header) {
        proxyHeader = header;
    }

    /** A datagram of {@code bytes} from the client, taken to be sent to a peer. */
    public void received(int bytes) {
        datagramsIn++;
        bytesIn += bytes;
    }

    /** A peer's reply of {@code bytes}, relayed to the client. */
    public void relayed(int bytes) {
        datagramsOut++;
        bytesOut += bytes;
    }

    /** The loop's clock in whole seconds when traffic last passed: orders sessions by activity. */
    public int activeSecond() {
        return lastActiveSecond;
    }

    /** What the session is now, for {@code GET /sessions}; on its loop only, like every read of a session. */
    public SessionView view(long nowNanos) {
        int now = second(nowNanos);
        return new SessionView(client, replyVia, lastSlot, keptPeers == null ? null : keptPeers.clone(),
                lastActiveSecond, now - openedSecond, now - lastActiveSecond, datagramsIn, bytesIn, datagramsOut,
                bytesOut, answered);
    }

    /** How long the session has lived at {@code nowNanos}, in milliseconds. */
    public long ageMillis(long nowNanos) {
        return (nowNanos - openedNanos) / 1_000_000L;
    }

    /**
     * Records that the session sends to the peer at {@code slot}; true the first time, when the
     * peer gains a session. Once per datagram: a bit test, and a store the first time.
     */
    public boolean use(int slot) {
        if (slot < Long.SIZE) {
            long bit = 1L << slot;
            if ((usedSlots & bit) != 0) {
                return false;
            }
            usedSlots |= bit;
            return true;
        }
        return useBeyond(slot - Long.SIZE);
    }

    private boolean useBeyond(int bit) {
        int word = bit >>> 6;
        if (usedBeyond == null || usedBeyond.length <= word) {
            usedBeyond = usedBeyond == null ? new long[word + 1] : Arrays.copyOf(usedBeyond, word + 1);
        }
        long mask = 1L << bit;
        if ((usedBeyond[word] & mask) != 0) {
            return false;
        }
        usedBeyond[word] |= mask;
        return true;
    }

    /** Whether the session has sent to the peer at {@code slot}: a draining peer takes its datagrams still. */
    public boolean used(int slot) {
        if (slot < Long.SIZE) {
            return (usedSlots & 1L << slot) != 0;
        }
        int bit = slot - Long.SIZE;
        int word = bit >>> 6;
        return usedBeyond != null && word < usedBeyond.length && (usedBeyond[word] & 1L << bit) != 0;
    }

    /** The lowest slot at or above {@code from} the session has sent to, or {@link #NONE}. */
    public int nextUsedSlot(int from) {
        int start = from;
        if (start < Long.SIZE) {
            long rest = usedSlots & -1L << start;
            if (rest != 0) {
                return Long.numberOfTrailingZeros(rest);
            }
            start = Long.SIZE;
        }
        if (usedBeyond == null) {
            return NONE;
        }
        int bit = start - Long.SIZE;
        for (int word = bit >>> 6; word < usedBeyond.length; word++) {
            // Shifts take the count mod 64: the first word is masked from the bit within it.
            long rest = usedBeyond[word] & (word == bit >>> 6 ? -1L << bit : -1L);
            if (rest != 0) {
                return Long.SIZE + word * Long.SIZE + Long.numberOfTrailingZeros(rest);
            }
        }
        return NONE;
    }

    /** The slot of the peer this session last sent to, or {@link #NONE}. */
    public int lastSlot() {
        return lastSlot;
    }

    /**
     * Records a datagram written to the peer at {@code slot}; {@code configuredAddress} is false
     * when it went to a latched address instead, whose port may close without the peer being gone
     * (a TFTP transfer that ended).
     */
    public void sentTo(int slot, boolean configuredAddress, long nowNanos) {
        if (!configuredAddress || (lastSlot != NONE && lastSlot != slot)) {
            mixedMillis = millis(nowNanos);
        }
        lastSlot = slot;
    }

    /**
     * The slot of the peer an ICMP error report that surfaces now is about: the last peer, if for
     * more than {@link #ATTRIBUTION_WINDOW_MILLIS} the session has sent only to its configured
     * address; else {@link #NONE}, since the report may be about any of the destinations sent to.
     * The millisecond clock wraps every 49 days: a negative difference is one that wrapped, long
     * ago; one that wrapped all the way round into the window reads as recent, which errs on the
     * side of blaming nobody.
     */
    public int culprit(long nowNanos) {
        int elapsed = millis(nowNanos) - mixedMillis;
        return elapsed < 0 || elapsed > ATTRIBUTION_WINDOW_MILLIS ? lastSlot : NONE;
    }

    /**
     * Marks the session as having writes waiting for the end of the read batch. Returns true only
     * the first time per batch, so each socket is flushed once and sendmmsg carries the batch.
     */
    public boolean markFlushPending() {
        if (flushPending) {
            return false;
        }
        flushPending = true;
        return true;
    }

    /** Sends what {@link #markFlushPending()} deferred. */
    public void flush() {
        flushPending = false;
        channel.flush();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Whether a peer ever answered: a reply was relayed to the client (see {@link SessionTable#answered}). */
    public boolean isAnswered() {
        return answered;
    }

    /** True the first time only. */
    boolean markAnswered() {
        if (answered) {
            return false;
        }
        answered = true;
        return true;
    }

    /** Marks the session closed; true the first time only. See {@link SessionTable#close}. */
    boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    @Override
    public String toString() {
        return "Session[" + client + (closed ? ", closed]" : "]");
    }
}
