package io.stevedore.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * How many session sockets this process can really open on Linux. Each session's socket takes a
 * file descriptor and an ephemeral port of its own: of the wildcard address, so one port range in
 * all, or, with {@code Session.SourceAddrs}, of the address it is bound to, so one port range per
 * address (UDP ports are per local address). A {@code MaxSessions} above either limit cannot be
 * reached, and the sessions past it are dropped as {@code session_limit}. Said once at start-up, so the operator learns it before the traffic does.
 */
final class SocketBudget {

    /** Descriptors the daemon holds besides its session sockets: listeners, epoll, jars, logs, admin. */
    static final int RESERVED_FDS = 200;

    private SocketBudget() {
    }

    /**
     * What limits {@code maxSessions}, one phrase per limit, or an empty list when both leave room.
     *
     * @param sourceAddrs the number of {@code Session.SourceAddrs}; 0 when the sockets are bound to the wildcard
     */
    static List<String> shortfalls(int maxSessions, int sourceAddrs, Path proc) {
        List<String> lines = new ArrayList<>();
        OptionalLong files = openFilesLimit(proc.resolve("self/limits"));
        if (files.isPresent() && files.getAsLong() - RESERVED_FDS < maxSessions) {
            lines.add("the open files limit is " + files.getAsLong() + " (raise it: LimitNOFILE in the systemd unit, "
                    + "or ulimit -n; bin/stevedore lifts the soft limit to the hard one)");
        }
        long[] range = portRange(proc.resolve("sys/net/ipv4/ip_local_port_range"));
        if (range != null) {
            long ports = range[1] - range[0] + 1;
            String has = "net.ipv4.ip_local_port_range (" + range[0] + " " + range[1] + ") gives " + ports
                    + " ephemeral ports, one per session socket";
            if (sourceAddrs == 0 && ports < maxSessions) {
                lines.add(has + " (list local addresses in Session.SourceAddrs: each adds as many)");
            } else if (sourceAddrs > 0 && ports * sourceAddrs < maxSessions) {
                lines.add(has + " per address, " + ports * sourceAddrs + " over the " + sourceAddrs
                        + " of Session.SourceAddrs (list more)");
            }
        }
        return lines;
    }

    /** The soft limit of "Max open files" in /proc/self/limits; empty if unlimited or unreadable. */
    static OptionalLong openFilesLimit(Path limits) {
        try {
            for (String line : Files.readAllLines(limits)) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    return fields[0].equals("unlimited") ? OptionalLong.empty()
                            : OptionalLong.of(Long.parseLong(fields[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or a format we do not know: nothing to say.
        }
        return OptionalLong.empty();
    }

    static long[] portRange(Path file) {
        try {
            // A line reader: Files.readString trusts the size procfs reports and returns one byte here.
            String[] fields = Files.readAllLines(file).get(0).trim().split("\\s+");
            return new long[] {Long.parseLong(fields[0]), Long.parseLong(fields[1])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
