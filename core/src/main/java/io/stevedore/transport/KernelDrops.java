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
 * a session socket lost between the last reading and its close is not seen.
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
    private long sessionTotal;
    /** Each socket's count at the last reading, by inode. */
    private Map<Long, Long> seen = new HashMap<>();
    private long readAt;
    private boolean read;
    private boolean failureLogged;

    KernelDrops(int loops, IntFunction<int[]> listenerFds) {
        this.loops = loops;
        this.listenerFds = listenerFds;
        this.listenerTotals = new long[loops];
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
            Set<Long> ours = socketInodes();
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
            seen = current;
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
