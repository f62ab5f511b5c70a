package io.stevedore.transport;

import io.stevedore.metrics.SocketDrops;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's drop counts of the daemon's UDP sockets, read from {@code /proc/net/udp} and
 * {@code /proc/net/udp6} (the {@code drops} column) and matched to our sockets by inode
 * ({@code /proc/self/fd/N} links to {@code socket:[inode]}). Netty's recvmmsg cannot hand over
 * {@code SO_RXQ_OVFL}, so this is the only count of what a full receive buffer lost. Read on the
 * asking thread (the admin endpoint's, when metrics are collected), never on an event loop: one
 * listing of the descriptors and one pass over each table.
 *
 * <p>A socket's counter lives as long as the socket, so the totals are kept here: each reading adds
 * what every socket gained since the last one, and a closed socket's count stays in the total. What
 * a session socket lost between the last reading and its close its loop hands over as it closes
 * ({@link ClosedSocketDrops}); a reading adds what of it had not been seen. A socket that left the
 * tables keeps its last count here for one more reading, in case its hand-over comes after it.
 */
final class KernelDrops implements SocketDrops {

    private static final Logger log = LoggerFactory.getLogger(KernelDrops.class);
    private static final Path FDS = Path.of("/proc/self/fd");
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"));
    /** Readings closer together than this share one: a scrape asks for every loop and both reasons. */
    private static final long REUSE_NANOS = 100_000_000L;

    private final int loops;
    /** The descriptors of loop {@code i}'s listening sockets; -1 entries are skipped. */
    private final IntFunction<int[]> listenerFds;
    private final long[] listenerTotals;
    private final ClosedSocketDrops closed;
    private long sessionTotal;
    /** Each socket's count at the last reading, by inode, and for one more reading of those that left. */
    private Map<Long, Long> seen = new HashMap<>();
    /** The sockets of {@link #seen} that were no longer in the tables at the last reading. */
    private Set<Long> gone = new HashSet<>();
    /** Sockets handed over as closed, skipped while the tables still list them. */
    private final Set<Long> handedOver = new HashSet<>();
    private long readAt;
    private boolean read;
    private boolean failureLogged;

    KernelDrops(int loops, IntFunction<int[]> listenerFds, ClosedSocketDrops closed) {
        this.loops = loops;
        this.listenerFds = listenerFds;
        this.listenerTotals = new long[loops];
        this.closed = closed;
    }

    @Override
    public synchronized long listeners(int loop) {
        refresh();
        return listenerTotals[loop];
    }

    @Override
    public synchronized long sessions() {
        refresh();
        return sessionTotal;
    }

    private void refresh() {
        long now = System.nanoTime();
        if (read && now - readAt < REUSE_NANOS) {
            return;
        }
        read = true;
        readAt = now;
        try {
            Map<Long, Integer> listenerLoop = new HashMap<>();
            for (int loop = 0; loop < loops; loop++) {
                for (int fd : listenerFds.apply(loop)) {
                    long inode = fd < 0 ? -1 : inode(FDS.resolve(Integer.toString(fd)));
                    if (inode >= 0) {
                        listenerLoop.put(inode, loop);
                    }
                }
            }
            // Closed sockets first: one that closes while the tables are read is then either
            // handed over already or still in the tables, or kept in seen for the next reading.
            for (ClosedSocketDrops.Closed socket = closed.poll(); socket != null; socket = closed.poll()) {
                sessionTotal += Math.max(0, socket.drops() - seen.getOrDefault(socket.inode(), 0L));
                seen.remove(socket.inode());
                handedOver.add(socket.inode());
            }
            sessionTotal += closed.takeWhole();
            Set<Long> ours = socketInodes();
            handedOver.retainAll(ours);
            ours.removeAll(handedOver);
            Map<Long, Long> current = new HashMap<>();
            for (Path table : TABLES) {
                if (Files.exists(table)) {
                    parse(Files.readAllLines(table), ours, current);
                }
            }
            current.forEach((inode, drops) -> {
                long gained = drops - seen.getOrDefault(inode, 0L);
                if (gained <= 0) {
                    return;
                }
                Integer loop = listenerLoop.get(inode);
                if (loop != null) {
                    listenerTotals[loop] += gained;
                } else {
                    sessionTotal += gained;
                }
            });
            Map<Long, Long> next = new HashMap<>(current);
            Set<Long> nextGone = new HashSet<>();
            seen.forEach((inode, drops) -> {
                if (!current.containsKey(inode) && !gone.contains(inode)) {
                    next.put(inode, drops);
                    nextGone.add(inode);
                }
            });
            seen = next;
            gone = nextGone;
        } catch (IOException | RuntimeException e) {
            if (!failureLogged) {
                failureLogged = true;
                log.warn("cannot read the kernel's drop counts of our sockets ({}): reasons overflow and "
                        + "session_overflow stay where they are", e.toString());
            }
        }
    }

    /** The inodes of every socket this process holds. */
    private static Set<Long> socketInodes() throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(FDS)) {
            for (Path fd : fds) {
                long inode = inode(fd);
                if (inode >= 0) {
                    inodes.add(inode);
                }
            }
        }
        return inodes;
    }

    /** The inode of this process's socket {@code fd}, or -1 if it is no socket (or closed meanwhile). */
    static long inode(int fd) {
        return fd < 0 ? -1 : inode(FDS.resolve(Integer.toString(fd)));
    }

    /** The inode of the socket {@code fd} links to, or -1 if it is no socket (or closed meanwhile). */
    private static long inode(Path fd) {
        String target;
        try {
            target = Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
            return -1;
        }
        if (!target.startsWith("socket:[") || !target.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(target, "socket:[".length(), target.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Adds the {@code drops} of each socket of {@code ours} in one table to {@code into}, by inode.
     * Columns (after the header): sl, local, remote, st, tx:rx queue, tr:when, retrnsmt, uid,
     * timeout, inode, ref, pointer, drops.
     */
    static void parse(List<String> lines, Set<Long> ours, Map<Long, Long> into) {
        for (int i = 1; i < lines.size(); i++) {
            String[] fields = lines.get(i).trim().split("\\s+");
            if (fields.length < 13) {
                continue;
            }
            long inode = Long.parseLong(fields[9]);
            if (ours.contains(inode)) {
                into.put(inode, Long.parseLong(fields[fields.length - 1]));
            }
        }
    }
}
