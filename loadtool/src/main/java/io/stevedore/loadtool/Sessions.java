package io.stevedore.loadtool;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Many client sockets at once, for a proxy's session table rather than its speed: each socket
 * sends one datagram (its own conversation), the replies are counted, and the sockets stay open
 * for {@code --hold} seconds so the proxy keeps one session per socket while it is measured.
 * Sockets bind explicit ports from {@code --first-port} on each source address in turn, below the
 * kernel's ephemeral range, so the client never takes a port the proxy's own sockets could use.
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = {"Open --count client sockets over --source-ips, send one datagram from each, count the "
                + "replies, then hold the sockets open for --hold seconds.",
                "Prints \"holding N\" once every datagram is sent and the replies are in (or --reply-timeout "
                        + "passed), then \"closed\" at the end."})
final class Sessions implements Callable<Integer> {

    static final int MAX_COUNT = 1_000_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--target", required = true, paramLabel = "IP:PORT", description = "Where to send (loopback).")
    String target;

    @Option(names = "--count", required = true, description = "Client sockets, 1..1000000.")
    int count;

    @Option(names = "--source-ips", required = true, paramLabel = "IPS",
            description = "Loopback source addresses: 127.0.1.1-127.0.1.4 or a list; sockets are spread over them.")
    String sourceIps;

    @Option(names = "--first-port", defaultValue = "1024",
            description = "First port bound on each source address (default ${DEFAULT-VALUE}).")
    int firstPort;

    @Option(names = "--rate", defaultValue = "20000",
            description = "Sockets opened and datagrams sent per second at most (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--reply-timeout", defaultValue = "10",
            description = "Seconds to wait for the replies after the last send (default ${DEFAULT-VALUE}).")
    double replyTimeout;

    @Option(names = "--hold", defaultValue = "60",
            description = "Seconds to keep the sockets open afterwards, at most 3600 (default ${DEFAULT-VALUE}).")
    double hold;

    @Override
    public Integer call() throws IOException, InterruptedException {
        InetSocketAddress to = Loopback.socketAddress(target);
        List<InetAddress> from = Loopback.addresses(sourceIps);
        int perIp = (count + from.size() - 1) / from.size();
        if (count < 1 || count > MAX_COUNT || rate < 1 || !(hold >= 0 && hold <= 3600)
                || !(replyTimeout >= 0 && replyTimeout <= 600)) {
            throw new IllegalArgumentException("expected --count 1.." + MAX_COUNT
                    + ", --rate >= 1, --hold 0..3600 and --reply-timeout 0..600");
        }
        if (firstPort < 1 || firstPort + perIp - 1 > 65_535) {
            throw new IllegalArgumentException("--first-port " + firstPort + ": " + perIp
                    + " ports per source address must fit below 65536; give more --source-ips");
        }
        PrintWriter out = spec.commandLine().getOut();
        List<DatagramChannel> sockets = new ArrayList<>(count);
        long started = System.nanoTime();
        try (Selector selector = Selector.open()) {
            ByteBuffer request = ByteBuffer.allocateDirect(64);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            int replies = 0;
            long nanosPerSend = 1_000_000_000L / rate;
            for (int i = 0; i < count; i++) {
                pace(started, i, nanosPerSend);
                InetAddress ip = from.get(i % from.size());
                DatagramChannel socket = DatagramChannel.open(StandardProtocolFamily.INET);
                sockets.add(socket);
                socket.bind(new InetSocketAddress(ip, firstPort + i / from.size()));
                socket.configureBlocking(false);
                socket.register(selector, SelectionKey.OP_READ);
                request.clear();
                request.putInt(Wire.CONV_OFFSET, i + 1).putLong(Wire.STAMP_OFFSET, System.nanoTime());
                socket.send(request, to);
                if ((i & 1023) == 1023) {
                    replies += drain(selector, in, 0);
                }
            }
            double sendSeconds = (System.nanoTime() - started) / 1e9;
            long deadline = System.nanoTime() + LoadTool.seconds(replyTimeout).toNanos();
            while (replies < count && System.nanoTime() < deadline) {
                replies += drain(selector, in, 100);
            }
            out.printf(Locale.ROOT, "sent %d from %d sockets in %.1f s, replies %d%n",
                    count, count, sendSeconds, replies);
            out.println("holding " + count);
            out.flush();
            long end = System.nanoTime() + Duration.ofMillis(Math.round(hold * 1000)).toNanos();
            while (System.nanoTime() < end) {
                replies += drain(selector, in, Math.max(1, Math.min(1000, (end - System.nanoTime()) / 1_000_000)));
            }
        } finally {
            for (DatagramChannel socket : sockets) {
                socket.close();
            }
        }
        out.println("closed");
        out.flush();
        return 0;
    }

    private static void pace(long started, int sent, long nanosPerSend) throws InterruptedException {
        long due = started + sent * nanosPerSend;
        long ahead = due - System.nanoTime();
        if (ahead > 1_000_000) {
            Thread.sleep(ahead / 1_000_000);
        }
    }

    /** Reads whatever replies are ready; returns how many. */
    private static int drain(Selector selector, ByteBuffer in, long waitMillis) throws IOException {
        int ready = waitMillis > 0 ? selector.select(waitMillis) : selector.selectNow();
        if (ready == 0) {
            return 0;
        }
        int replies = 0;
        for (SelectionKey key : selector.selectedKeys()) {
            DatagramChannel socket = (DatagramChannel) key.channel();
            in.clear();
            while (socket.receive(in) != null) {
                replies++;
                in.clear();
            }
        }
        selector.selectedKeys().clear();
        return replies;
    }
}
