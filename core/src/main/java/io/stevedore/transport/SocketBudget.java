package io.stevedore.transport;

import io.stevedore.config.SessionConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many session sockets this process can really open on Linux. Each session's socket takes a
 * file descriptor and an ephemeral port of its own: of the wildcard address, so one port range in
 * all, or, with {@code Session.SourceAddrs}, of the address it is bound to, so one port range per
 * address (UDP ports are per local address). A {@code MaxSessions} above either limit cannot be
 * reached, and the sessions past it are dropped as {@code session_limit}. Said at start-up, and again when a reload changes the
 * budget, so the operator learns it before the traffic does.
 */
public final class SocketBudget {

    private static final Logger log = LoggerFactory.getLogger(SocketBudget.class);

    /** Descriptors the daemon holds besides its session sockets: listeners, epoll, jars, logs, admin. */
    static final int RESERVED_FDS = 200;

    private SocketBudget() {
    }

    /**
     * At info, not warn: the default MaxSessions (100000) is above the ephemeral port range of a
     * stock Linux, so a warning would greet nearly every start of a default configuration.
     */
    public static void logShortfalls(SessionConfig session) {
        int maxSessions = session.maxSessions();
        List<String> limits = shortfalls(maxSessions, session.sourceAddrs().size(), Path.of("/proc"));
        if (!limits.isEmpty()) {
            // One line, whatever the number of limits: it greets most starts, so it must read at a glance.
            log.info("this machine allows fewer than Session.MaxSessions {} sessions: {}; a datagram that would open "
                    + "one more is dropped as session_limit", maxSessions, String.join("; and ", limits));
        }
    }

    /**
     * Says which of {@code Session.SourceAddrs} cannot be bound now, most likely because it is not
     * an address of this host. Not an error: an address may come and go with its interface, and a
     * session whose address cannot be bound takes the next one (see {@link Worker}).
     */
    public static void warnUnbindable(List<InetAddress> sourceAddrs) {
        for (InetAddress source : sourceAddrs) {
            try (DatagramChannel probe = DatagramChannel.open()) {
                probe.bind(new InetSocketAddress(source, 0));
            } catch (IOException | RuntimeException e) {
                log.warn("Session.SourceAddrs {} cannot be bound now ({}): is it an address of this host? New "
                        + "sessions take the next address while it cannot be bound", source.getHostAddress(),
                        e.getMessage());
            }
        }
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
