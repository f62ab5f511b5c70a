package io.stevedore.loadtool;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Datagrams the kernel dropped at a process's UDP sockets (with its children's: nginx's workers,
 * the JVM behind a launcher) because a receive buffer was full, whatever the process itself counts:
 * the {@code drops} column of {@code /proc/net/udp} and {@code /proc/net/udp6}, matched to the
 * process's sockets by inode ({@code /proc/PID/fd}). Read outside the measured loop, before and
 * after a run. Also what those sockets hold unread right now ({@link #queued}), for
 * {@link QueueCensus}.
 */
final class SocketDropCounter {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"));

    /** No process: no sockets. */
    static final SocketDropCounter NONE = new SocketDropCounter(List.of());

    private final List<Long> pids;

    private SocketDropCounter(List<Long> pids) {
        this.pids = pids;
    }

    /** The process {@code pid} and its descendants as they are now. */
    static SocketDropCounter ofTree(long pid) {
        Optional<ProcessHandle> root = ProcessHandle.of(pid);
        return new SocketDropCounter(root.map(r -> Stream.concat(Stream.of(r), r.descendants())
                .map(ProcessHandle::pid).toList()).orElse(List.of()));
    }

    /** The process {@code pid} alone, without the processes it started. */
    static SocketDropCounter ofProcess(long pid) {
        return new SocketDropCounter(List.of(pid));
    }

    /** Each socket's drops so far, by inode; empty when nothing can be read. */
    Map<Long, Long> read() {
        Set<Long> inodes = inodes();
        Map<Long, Long> drops = new HashMap<>();
        for (String[] fields : sockets()) {
            long inode = Long.parseLong(fields[9]);
            if (inodes.contains(inode)) {
                drops.put(inode, Long.parseLong(fields[fields.length - 1]));
            }
        }
        return drops;
    }

    /**
     * The bytes each group's sockets hold unread now, as the kernel accounts them (a datagram's
     * buffer with its overhead: about 800 bytes for one of 64 bytes on loopback), from one reading
     * of the tables.
     */
    static long[] queued(List<SocketDropCounter> groups) {
        List<Set<Long>> inodes = groups.stream().map(SocketDropCounter::inodes).toList();
        long[] bytes = new long[groups.size()];
        for (String[] fields : sockets()) {
            long inode = Long.parseLong(fields[9]);
            for (int g = 0; g < bytes.length; g++) {
                if (inodes.get(g).contains(inode)) {
                    // tx_queue:rx_queue, in hex.
                    String queues = fields[4];
                    bytes[g] += Long.parseLong(queues.substring(queues.indexOf(':') + 1), 16);
                }
            }
        }
        return bytes;
    }

    /** The sockets of the processes, as they are now (sessions come and go). */
    private Set<Long> inodes() {
        Set<Long> inodes = new HashSet<>();
        for (long pid : pids) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
                for (Path fd : fds) {
                    socketInode(fd).ifPresent(inodes::add);
                }
            } catch (IOException e) {
                // Gone, or not ours to read: its sockets are not counted.
            }
        }
        return inodes;
    }

    /** Every UDP socket's row of the kernel's tables, split into fields. */
    private static List<String[]> sockets() {
        List<String[]> rows = new ArrayList<>();
        for (Path table : TABLES) {
            try {
                List<String> lines = Files.readAllLines(table);
                for (int i = 1; i < lines.size(); i++) {
                    String[] fields = lines.get(i).trim().split("\\s+");
                    if (fields.length >= 13) {
                        rows.add(fields);
                    }
                }
            } catch (IOException e) {
                // No such table (IPv6 disabled): nothing of ours is in it.
            }
        }
        return rows;
    }

    /** What the sockets of {@code after} dropped since {@code before}; a socket new since then counts whole. */
    static long since(Map<Long, Long> before, Map<Long, Long> after) {
        long total = 0;
        for (Map.Entry<Long, Long> socket : after.entrySet()) {
            total += Math.max(0, socket.getValue() - before.getOrDefault(socket.getKey(), 0L));
        }
        return total;
    }

    private static Optional<Long> socketInode(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[") && target.endsWith("]")) {
                return Optional.of(Long.parseLong(target.substring("socket:[".length(), target.length() - 1)));
            }
        } catch (IOException | NumberFormatException e) {
            // Closed meanwhile, or no socket.
        }
        return Optional.empty();
    }
}
