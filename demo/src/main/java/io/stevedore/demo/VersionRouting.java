package io.stevedore.demo;

import io.stevedore.config.Addresses;
import io.stevedore.metrics.DropReason;
import io.stevedore.transport.Daemon;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The protocol-version example of the original Stevedore: a private protocol whose bytes 4..6 hold a version. Version 1 goes to
 * upstream {@code ver1}, version 2 to {@code ver2}; the default {@code "deny"} names no upstream,
 * so any other datagram, including one too short to have a version, is dropped and counted.
 */
final class VersionRouting {

    private static final String[] VER1 = {"127.0.0.6", "127.0.0.7"};
    private static final String VER2 = "127.0.0.8";
    private static final int PER_KIND = 10;
    private static final int RUNTS = 5;
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private static final String CONFIG = """
            {
              "Server": { "ListenAddr": "127.0.0.1:0", "ListenParallel": 1 },
              "Upload": {
                "DefaultUpstream": "deny",
                "Routes": [
                  { "KeyBytes": "4:6", "Operator": "==", "Value": "0x01", "Upstream": "ver1" },
                  { "KeyBytes": "4:6", "Operator": "==", "Value": "0x02", "Upstream": "ver2" }
                ],
                "Upstreams": [
                  { "Name": "ver1", "Type": "rr", "Peers": [
                      { "IP": "%s", "Port": %d }, { "IP": "%s", "Port": %d } ] },
                  { "Name": "ver2", "Type": "rr", "Peers": [ { "IP": "%s", "Port": %d } ] }
                ]
              }
            }
            """;

    private final Demo demo;
    private final List<Backend> backends = new ArrayList<>();

    VersionRouting(Demo demo) {
        this.demo = demo;
    }

    /** flag, ver, cmd, session id, len, checksum: the original's 24-byte header. */
    private static byte[] datagram(int version, long session) {
        return ByteBuffer.allocate(24).putInt(0x5354_4556).putShort((short) version).putShort((short) 1)
                .putLong(session).putInt(0).putInt(0).array();
    }

    void run() throws DemoException, IOException {
        try {
            for (String ip : VER1) {
                backends.add(Backend.start(ip, new byte[0]));
            }
            backends.add(Backend.start(VER2, new byte[0]));
            try (Daemon daemon = Demo.startLoadBalancer(CONFIG.formatted(
                        backends.get(0).ip(), backends.get(0).address().getPort(),
                        backends.get(1).ip(), backends.get(1).address().getPort(),
                        backends.get(2).ip(), backends.get(2).address().getPort()));
                    DatagramSocket client = Backend.bind("127.0.0.1")) {
                client.connect(daemon.listenAddress());
                play(daemon, client);
            }
        } finally {
            backends.forEach(Backend::close);
        }
    }

    private void play(Daemon daemon, DatagramSocket client) throws IOException, DemoException {
        var out = demo.out();
        out.println();
        out.println("2. Protocol-version routing with a deny default");
        out.println("   load balancer  " + Addresses.format(daemon.listenAddress())
                + "  routes on bytes 4..6 (ver) of the private header:");
        out.println("                  == 0x01 -> upstream \"ver1\" (round robin: " + Addresses.format(backends.get(0).address())
                + ", " + Addresses.format(backends.get(1).address()) + ")");
        out.println("                  == 0x02 -> upstream \"ver2\" (" + Addresses.format(backends.get(2).address()) + ")");
        out.println("                  anything else -> DefaultUpstream \"deny\": no such upstream, dropped and "
                + "counted (no_route)");
        out.println();

        Table table = new Table("datagrams", "sent", "answered", "answered by", "dropped (no_route)");
        long[] answeredBy1 = new long[2];
        long ver1 = send(daemon, client, table, "ver 0x0001", datagram(1, 1), PER_KIND, answeredBy1);
        long[] answeredBy2 = new long[2];
        long ver2 = send(daemon, client, table, "ver 0x0002", datagram(2, 2), PER_KIND, answeredBy2);
        long before = daemon.counters().dropped(DropReason.NO_ROUTE);
        send(daemon, client, table, "ver 0x0003", datagram(3, 3), PER_KIND, new long[2]);
        send(daemon, client, table, "4 bytes, no ver field", new byte[] {0x53, 0x54, 0x45, 0x56}, RUNTS, new long[2]);
        long dropped = daemon.counters().dropped(DropReason.NO_ROUTE) - before;
        table.print(out, "   ");

        demo.check(ver1 == PER_KIND && ver2 == PER_KIND && dropped == PER_KIND + RUNTS
                        && answeredBy1[0] == PER_KIND / 2 && answeredBy1[1] == PER_KIND / 2,
                "version routing: ver 1 -> ver1 " + ver1 + "/" + PER_KIND + " (round robin " + answeredBy1[0] + "+"
                        + answeredBy1[1] + "), ver 2 -> ver2 " + ver2 + "/" + PER_KIND + ", " + dropped + " of "
                        + (PER_KIND + RUNTS) + " others dropped as no_route");
    }

    /**
     * Sends {@code count} copies of {@code datagram} and waits until each is answered or counted
     * as dropped; adds the table row. Returns how many were answered; {@code ver1Split} gets the
     * answers of the two ver1 backends.
     */
    private long send(Daemon daemon, DatagramSocket client, Table table, String what, byte[] datagram, int count,
                      long[] ver1Split) throws IOException, DemoException {
        long droppedBefore = daemon.counters().dropped(DropReason.NO_ROUTE);
        for (int i = 0; i < count; i++) {
            client.send(new DatagramPacket(datagram, datagram.length));
        }
        Map<String, Integer> byBackend = new TreeMap<>();
        int answered = 0;
        long dropped = 0;
        byte[] reply = new byte[2048];
        long deadline = System.nanoTime() + SETTLE_NANOS;
        while (answered + dropped < count) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new DemoException(what + ": " + answered + " answered and " + dropped + " dropped of " + count
                        + " sent, within " + TimeUnit.NANOSECONDS.toSeconds(SETTLE_NANOS) + " s");
            }
            client.setSoTimeout((int) Math.min(left, 20));
            DatagramPacket packet = new DatagramPacket(reply, reply.length);
            try {
                client.receive(packet);
                int id = reply[0] & 0xFF;
                Backend from = backends.stream().filter(b -> b.id() == id).findFirst().orElseThrow(
                        () -> new DemoException(what + ": an answer from an unknown backend id " + id));
                byBackend.merge(from.ip(), 1, Integer::sum);
                int at = backends.indexOf(from);
                if (at < 2) {
                    ver1Split[at]++;
                }
                answered++;
            } catch (SocketTimeoutException e) {
                dropped = daemon.counters().dropped(DropReason.NO_ROUTE) - droppedBefore;
            }
        }
        table.row(what, count, answered, byBackend.isEmpty() ? "-" : byBackend.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ")), dropped);
        return answered;
    }
}
