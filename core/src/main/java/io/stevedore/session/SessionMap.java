package io.stevedore.session;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.function.Consumer;

/**
 * Sessions by client address in one open-addressed array: the key is the session's own
 * {@link Session#client()}, so an entry costs one array slot instead of a {@code HashMap} node
 * (32 bytes) plus its slot, which counts at 100,000 sessions. Linear probing; a removal shifts
 * the entries after it back, so no tombstones pile up. One event loop's, not thread-safe.
 */
final class SessionMap {

    private static final int MIN_CAPACITY = 16;

    private Session[] slots = new Session[MIN_CAPACITY];
    private int shift = Integer.SIZE - Integer.numberOfTrailingZeros(MIN_CAPACITY);
    private int size;

    int size() {
        return size;
    }

    /**
     * Per process and unknown outside it, so clients cannot pick source addresses that share a
     * home slot. Not a secret worth more than that: it only keeps probe runs short.
     */
    private static final long SEED = new SecureRandom().nextLong();

    /**
     * The IP's hash and the port go in side by side, not summed as in
     * {@link InetSocketAddress#hashCode()} (where (ip + 1, port - 1) collides with (ip, port)),
     * then through the SplitMix64 finalizer; the top bits pick the slot.
     */
    int home(InetSocketAddress client) {
        InetAddress ip = client.getAddress();
        long x = ((long) (ip == null ? 0 : ip.hashCode()) << 32 | client.getPort()) ^ SEED;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        x ^= x >>> 31;
        return (int) (x >>> (shift + Integer.SIZE));
    }

    Session get(InetSocketAddress client) {
        Session[] table = slots;
        int mask = table.length - 1;
        for (int i = home(client); ; i = (i + 1) & mask) {
            Session session = table[i];
            if (session == null) {
                return null;
            }
            if (session.client().equals(client)) {
                return session;
            }
        }
    }

    /** Adds a session whose client has none yet. */
    void add(Session session) {
        if ((size + 1) * 2 > slots.length) {
            grow();
        }
        insert(slots, session);
        size++;
    }

    private void insert(Session[] table, Session session) {
        int mask = table.length - 1;
        int i = home(session.client());
        while (table[i] != null) {
            i = (i + 1) & mask;
        }
        table[i] = session;
    }

    private void grow() {
        Session[] old = slots;
        slots = new Session[old.length * 2];
        shift--;
        for (Session session : old) {
            if (session != null) {
                insert(slots, session);
            }
        }
    }

    /** Removes this very session; returns false if it is not in the map. */
    boolean remove(Session session) {
        Session[] table = slots;
        int mask = table.length - 1;
        int i = home(session.client());
        while (table[i] != session) {
            if (table[i] == null) {
                return false;
            }
            i = (i + 1) & mask;
        }
        // Backward shift: move up every later entry of the run that may not stay past the gap.
        int gap = i;
        for (int j = (gap + 1) & mask; table[j] != null; j = (j + 1) & mask) {
            int want = home(table[j].client());
            // The entry at j may fill the gap unless its home lies cyclically in (gap, j].
            boolean stays = gap <= j ? gap < want && want <= j : gap < want || want <= j;
            if (!stays) {
                table[gap] = table[j];
                gap = j;
            }
        }
        table[gap] = null;
        size--;
        return true;
    }

    void forEach(Consumer<Session> action) {
        for (Session session : slots) {
            if (session != null) {
                action.accept(session);
            }
        }
    }
}
