package io.stevedore.metrics;

/**
 * The datagrams the kernel dropped at the daemon's sockets because their receive buffers were
 * full: no event loop sees them, so they are read from the kernel's per-socket counters when asked,
 * on the asking thread. Both counts only grow.
 */
public interface SocketDrops {

    /** Nothing read: a transport whose sockets the kernel's counters cannot be matched to. */
    SocketDrops NONE = new SocketDrops() {
        @Override
        public long listeners(int loop) {
            return 0;
        }

        @Override
        public long sessions() {
            return 0;
        }
    };

    /** Drops at the listening sockets of event loop {@code loop}. */
    long listeners(int loop);

    /** Drops at every other UDP socket of the daemon: the session sockets (and the health probes'). */
    long sessions();
}
