package io.stevedore.loadtool;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * after a run.
 */
final class SocketDropCounter {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/udp"), Path.of("/proc/net/udp6"));

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

    /** Each socket's drops so far, by inode; empty when nothing can be read. */
    Map<Long, Long> read() {
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
        Map<Long, Long> drops = new HashMap<>();
        for (Path table : TABLES) {
            try {
                List<String> lines = Files.readAllLines(table);
                for (int i = 1; i < lines.size(); i++) {
                    String[] fields = lines.get(i).trim().split("\\s+");
                    if (fields.length >= 13 && inodes.contains(Long.parseLong(fields[9]))) {
                        drops.put(Long.parseLong(fields[9]), Long.parseLong(fields[fields.length - 1]));
                    }
                }
            } catch (IOException e) {
                // No such table (IPv6 disabled): nothing of ours is in it.
            }
        }
        return drops;
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
