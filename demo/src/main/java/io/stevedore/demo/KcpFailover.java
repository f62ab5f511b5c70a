package io.stevedore.demo;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.health.HealthCheckers;
import io.stevedore.health.ProbeCounts;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.transport.Daemon;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The KCP example of the original Stevedore: upstream {@code kcp} hashes the 4-byte KCP conversation id onto three
 * primaries, with a backup. Clients each carry several conversations on one socket. The busiest
 * primary is killed, then the other two (the backup takes over), then they come back one after
 * the other. Between the switches, steady phases show where every conversation is answered and
 * how many datagrams each backend got.
 */
final class KcpFailover {

    private static final String[] PRIMARIES = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
    private static final String BACKUP = "127.0.0.5";
    private static final int INTERVAL_SEC = 1;
    private static final int TIMEOUT_SEC = 1;
    private static final String PROBE = "heartbeat";
    private static final int CLIENTS = 4;
    private static final int CONVERSATIONS_PER_CLIENT = 3;
    private static final int CONVERSATIONS = CLIENTS * CONVERSATIONS_PER_CLIENT;
    private static final int STEADY_ROUNDS = 10;
    private static final long ROUND_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long REPLY_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** A switch that takes longer than a probe round plus this is reported as a failure. */
    private static final long SWITCH_SLACK_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** No reply in a round. */
    private static final int NONE = 0;
    /** Answered by more than one backend within a steady phase. */
    private static final int UNSTEADY = -1;

    private static final String CONFIG = """
            {
              "Server": { "ListenAddr": "127.0.0.1:0", "ListenParallel": 2 },
              "Upload": {
                "DefaultUpstream": "kcp",
                "Upstreams": [
                  {
                    "Name": "kcp",
                    "Type": "chash",
                    "KeyBytes": "0:4",
                    "HealthChecker": {
                      "HeartbeatIntervalSec": %d, "HeartbeatTimeoutSec": %d,
                      "SuccessTimes": 1, "FailedTimes": 1, "Send": "%s"
                    },
                    "Peers": [
                      { "IP": "%s", "Port": %d },
                      { "IP": "%s", "Port": %d },
                      { "IP": "%s", "Port": %d },
                      { "IP": "%s", "Port": %d, "Backup": true }
                    ]
                  }
                ]
              }
            }
            """;

    /** One steady phase: the backend of each conversation and the datagrams each backend got. */
    private record Phase(String name, int[] backendOf, long[] datagrams) {
    }

    private final Demo demo;
    private final List<Backend> backends = new ArrayList<>();
    private final List<DatagramSocket> clients = new ArrayList<>();
    private final List<Phase> phases = new ArrayList<>();
    private final byte[] reply = new byte[2048];
    private Upstream kcp;
    private int sn;
    private long unanswered;

    KcpFailover(Demo demo) {
        this.demo = demo;
    }

    /** The KCP conversation id of conversation {@code index}: fixed ids, easy to find in the tables. */
    private static int conv(int index) {
        return 0x4b430000 + 0x101 * (index + 1);
    }

    /** A 24-byte KCP header: conv, cmd (81, push), frg, wnd, ts, sn, una, len. */
    private static byte[] segment(int conv, int sn) {
        return ByteBuffer.allocate(24).putInt(conv).put((byte) 81).put((byte) 0).putShort((short) 128)
                .putInt(0).putInt(sn).putInt(0).putInt(0).array();
    }

    void run() throws DemoException, IOException {
        try {
            for (String ip : PRIMARIES) {
                backends.add(Backend.start(ip, PROBE.getBytes(US_ASCII)));
            }
            backends.add(Backend.start(BACKUP, PROBE.getBytes(US_ASCII)));
            try (Daemon daemon = Demo.startLoadBalancer(config());
                    HealthCheckers checkers = HealthCheckers.start(daemon.upstreams(), daemon.peerStates())) {
                kcp = daemon.upstreams().get(0);
                for (int c = 0; c < CLIENTS; c++) {
                    DatagramSocket client = Backend.bind("127.0.0.1");
                    client.connect(daemon.listenAddress());
                    clients.add(client);
                }
                describe(daemon);
                warmUp();
                demo.event(System.nanoTime(), "load balancer and health checks running, all backends answer");
                play();
                report(daemon, checkers.probeCounts("kcp").orElseThrow());
            }
        } finally {
            clients.forEach(DatagramSocket::close);
            backends.forEach(Backend::close);
        }
    }

    private String config() {
        List<Object> args = new ArrayList<>(List.of(INTERVAL_SEC, TIMEOUT_SEC, PROBE));
        for (Backend backend : backends) {
            args.add(backend.ip());
            args.add(backend.address().getPort());
        }
        return CONFIG.formatted(args.toArray());
    }

    private void describe(Daemon daemon) {
        var out = demo.out();
        out.println();
        out.println("1. KCP conversation stickiness with a backup peer");
        out.println("   load balancer  " + Addresses.format(daemon.listenAddress())
                + "  upstream \"kcp\": chash (Maglev) on the KCP conversation id, KeyBytes 0:4");
        out.println("   primaries      " + backends.subList(0, 3).stream().map(b -> Addresses.format(b.address()))
                .collect(Collectors.joining("  ")));
        out.println("   backup         " + Addresses.format(backup().address()) + "  (used only while every primary is down)");
        out.printf(Locale.ROOT, "   health checks  HeartbeatIntervalSec %d, HeartbeatTimeoutSec %d, FailedTimes 1, "
                + "SuccessTimes 1, in real seconds;%n                  a probe fails on ICMP port unreachable "
                + "(the original's rule)%n", INTERVAL_SEC, TIMEOUT_SEC);
        out.printf(Locale.ROOT, "   clients        %d sockets x %d conversations, one KCP segment per conversation "
                + "every %d ms%n%n", CLIENTS, CONVERSATIONS_PER_CLIENT, TimeUnit.NANOSECONDS.toMillis(ROUND_PERIOD_NANOS));
    }

    private Backend backup() {
        return backends.get(3);
    }

    private int peerIndex(Backend backend) {
        return backends.indexOf(backend);
    }

    private void play() throws DemoException, IOException {
        Phase allUp = steady("all up");
        Backend victim = busiest(allUp);
        List<Backend> others = backends.subList(0, 3).stream().filter(b -> b != victim).toList();
        String victimName = "." + victim.id();

        int[] firstAfterKill = switchOver("killed " + victim.ip()
                        + " (closed its socket, as a crash would), the primary with the most conversations",
                victim::kill, () -> !kcp.isUp(peerIndex(victim)), "health check marked " + victim.ip() + " down",
                by -> answeredOnlyBy(by, others));
        describeMove(allUp.backendOf(), firstAfterKill, victim);
        Phase oneDown = steady(victimName + " dead");

        long backupBefore = backup().data();
        switchOver("killed " + others.get(0).ip() + " and " + others.get(1).ip() + ": no primary left",
                () -> others.forEach(Backend::kill),
                () -> others.stream().noneMatch(b -> kcp.isUp(peerIndex(b))),
                "health check marked both down; every primary is down",
                by -> answeredOnlyBy(by, List.of(backup())));
        demo.event(System.nanoTime(), "the backup " + backup().ip() + " answers all " + CONVERSATIONS + " conversations");
        Phase onBackup = steady("backup only");

        switchOver("restarted " + victim.ip(), victim::restart, () -> kcp.isUp(peerIndex(victim)),
                "health check marked " + victim.ip() + " up", by -> answeredOnlyBy(by, List.of(victim)));
        demo.event(System.nanoTime(), "every conversation left the backup for " + victim.ip()
                + ", the only primary up");
        Phase victimBack = steady(victimName + " back");

        switchOver("restarted " + others.get(0).ip() + " and " + others.get(1).ip(),
                () -> {
                    for (Backend other : others) {
                        other.restart();
                    }
                },
                () -> others.stream().allMatch(b -> kcp.isUp(peerIndex(b))),
                "health check marked both up", by -> Arrays.equals(by, allUp.backendOf()));
        demo.event(System.nanoTime(), "every conversation is back on the backend it started on");
        Phase allBack = steady("all back");

        checks(allUp, oneDown, onBackup, victimBack, allBack, victim, firstAfterKill, backupBefore);
    }

    /** The primary with the most conversations (the first one on a tie). */
    private Backend busiest(Phase phase) {
        Backend busiest = backends.get(0);
        for (Backend b : backends.subList(0, 3)) {
            if (conversationsOn(phase.backendOf(), b) > conversationsOn(phase.backendOf(), busiest)) {
                busiest = b;
            }
        }
        return busiest;
    }

    private static long conversationsOn(int[] backendOf, Backend backend) {
        return Arrays.stream(backendOf).filter(id -> id == backend.id()).count();
    }

    private static boolean answeredOnlyBy(int[] by, List<Backend> allowed) {
        return Arrays.stream(by).allMatch(id -> allowed.stream().anyMatch(b -> b.id() == id));
    }

    /**
     * {@code STEADY_ROUNDS} rounds with no change: the backend that answered each conversation
     * ({@link #UNSTEADY} if two did, {@link #NONE} if none did), and the datagrams each backend got.
     */
    private Phase steady(String name) throws IOException {
        long[] before = backends.stream().mapToLong(Backend::data).toArray();
        int[] backendOf = new int[CONVERSATIONS];
        for (int r = 0; r < STEADY_ROUNDS; r++) {
            long next = System.nanoTime() + ROUND_PERIOD_NANOS;
            int[] by = round();
            for (int i = 0; i < CONVERSATIONS; i++) {
                if (by[i] != NONE && backendOf[i] != by[i]) {
                    backendOf[i] = backendOf[i] == NONE ? by[i] : UNSTEADY;
                }
            }
            pace(next, null);
        }
        long[] datagrams = new long[backends.size()];
        for (int b = 0; b < datagrams.length; b++) {
            datagrams[b] = backends.get(b).data() - before[b];
        }
        Phase phase = new Phase(name, backendOf, datagrams);
        phases.add(phase);
        return phase;
    }

    /** Sends rounds until one is answered whole: the first datagrams wait for a cold JVM. */
    private void warmUp() throws IOException, DemoException {
        long deadline = System.nanoTime() + WARM_UP_NANOS;
        while (Arrays.stream(round()).anyMatch(id -> id == NONE)) {
            if (System.nanoTime() - deadline > 0) {
                throw new DemoException("the load balancer did not answer every conversation within "
                        + TimeUnit.NANOSECONDS.toSeconds(WARM_UP_NANOS) + " s of starting");
            }
            pace(System.nanoTime() + ROUND_PERIOD_NANOS, null);
        }
    }

    private interface Action {
        void run() throws DemoException;
    }

    /**
     * Does {@code action} while the clients keep sending, and waits until the health check has
     * changed the peer's state ({@code marked}) and a whole round is answered as {@code settled}
     * says. Prints when each happened; returns the first settled round.
     */
    private int[] switchOver(String what, Action action, BooleanSupplier marked, String markedText,
                             Predicate<int[]> settled) throws DemoException, IOException {
        long lostBefore = unanswered;
        long start = System.nanoTime();
        action.run();
        demo.event(start, what);
        long deadline = start + TimeUnit.SECONDS.toNanos(INTERVAL_SEC + TIMEOUT_SEC) + SWITCH_SLACK_NANOS;
        long[] markedAt = {-1};
        while (true) {
            long roundStart = System.nanoTime();
            if (roundStart - deadline > 0) {
                throw new DemoException("\"" + markedText + "\" and traffic settling did not happen within "
                        + TimeUnit.NANOSECONDS.toSeconds(deadline - start) + " s of \"" + what + "\"");
            }
            int[] by = round();
            if (markedAt[0] < 0 && marked.getAsBoolean()) {
                markedAt[0] = System.nanoTime();
            }
            // Only a round sent after the state changed counts, so the timeline stays in order.
            if (markedAt[0] >= 0 && markedAt[0] - roundStart <= 0 && settled.test(by)) {
                demo.event(markedAt[0], String.format(Locale.ROOT, "%s (%.2f s after)", markedText,
                        (markedAt[0] - start) / 1e9));
                long lost = unanswered - lostBefore;
                demo.event(roundStart, "traffic moved; " + lost + (lost == 1 ? " datagram" : " datagrams")
                        + " went unanswered while switching");
                return by;
            }
            pace(roundStart + ROUND_PERIOD_NANOS, () -> {
                if (markedAt[0] < 0 && marked.getAsBoolean()) {
                    markedAt[0] = System.nanoTime();
                }
            });
        }
    }

    /** Waits until {@code until}, looking at the health state every few milliseconds meanwhile. */
    private static void pace(long until, Runnable watch) {
        while (System.nanoTime() - until < 0) {
            if (watch != null) {
                watch.run();
            }
            long left = until - System.nanoTime();
            if (left > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Sends one segment per conversation; returns which backend answered each ({@link #NONE}: none). */
    private int[] round() throws IOException {
        int round = ++sn;
        for (int c = 0; c < CLIENTS; c++) {
            for (int j = 0; j < CONVERSATIONS_PER_CLIENT; j++) {
                byte[] segment = segment(conv(c * CONVERSATIONS_PER_CLIENT + j), round);
                clients.get(c).send(new DatagramPacket(segment, segment.length));
            }
        }
        int[] by = new int[CONVERSATIONS];
        long deadline = System.nanoTime() + REPLY_WAIT_NANOS;
        for (int c = 0; c < CLIENTS; c++) {
            DatagramSocket client = clients.get(c);
            int answered = 0;
            while (answered < CONVERSATIONS_PER_CLIENT) {
                // Past the deadline, still take what is already queued.
                long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                client.setSoTimeout((int) left);
                DatagramPacket packet = new DatagramPacket(reply, reply.length);
                try {
                    client.receive(packet);
                } catch (SocketTimeoutException e) {
                    break;
                }
                if (packet.getLength() < 25) {
                    continue;
                }
                ByteBuffer echoed = ByteBuffer.wrap(reply, 1, 24).slice();
                int index = indexOf(echoed.getInt(0));
                // A late answer to an earlier round is not this round's.
                if (index / CONVERSATIONS_PER_CLIENT == c && echoed.getInt(12) == round) {
                    by[index] = reply[0] & 0xFF;
                    answered++;
                }
            }
        }
        unanswered += Arrays.stream(by).filter(id -> id == NONE).count();
        return by;
    }

    /** The index of conversation id {@code conv}, or -1. */
    private static int indexOf(int conv) {
        for (int i = 0; i < CONVERSATIONS; i++) {
            if (conv(i) == conv) {
                return i;
            }
        }
        return -1;
    }

    private void describeMove(int[] before, int[] after, Backend victim) {
        Map<String, Integer> destinations = new TreeMap<>();
        int others = 0;
        for (int i = 0; i < CONVERSATIONS; i++) {
            if (before[i] == victim.id()) {
                destinations.merge(ip(after[i]), 1, Integer::sum);
            } else if (after[i] != before[i]) {
                others++;
            }
        }
        int mine = destinations.values().stream().mapToInt(Integer::intValue).sum();
        demo.event(System.nanoTime(), "its " + mine + " conversations now go to "
                + destinations.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                        .collect(Collectors.joining(" and "))
                + "; " + others + " of the other " + (CONVERSATIONS - mine) + " moved");
    }

    private String ip(int id) {
        return backends.stream().filter(b -> b.id() == id).map(Backend::ip).findFirst().orElse("no reply");
    }

    private void report(Daemon daemon, ProbeCounts probes) {
        var out = demo.out();
        out.println();
        out.println("   Conversation -> backend in each steady phase (* moved since the phase before)");
        List<String> header = new ArrayList<>(List.of("client", "conv"));
        phases.forEach(p -> header.add(p.name()));
        Table conversations = new Table(header.toArray(new String[0]));
        for (int i = 0; i < CONVERSATIONS; i++) {
            List<Object> row = new ArrayList<>();
            DatagramSocket client = clients.get(i / CONVERSATIONS_PER_CLIENT);
            row.add(i % CONVERSATIONS_PER_CLIENT == 0 ? "127.0.0.1:" + client.getLocalPort() : "");
            row.add(String.format("0x%08x", conv(i)));
            for (int p = 0; p < phases.size(); p++) {
                int id = phases.get(p).backendOf()[i];
                String cell = id == UNSTEADY ? "two backends!" : ip(id);
                boolean movedHere = p > 0 && id != phases.get(p - 1).backendOf()[i];
                row.add(cell + (movedHere ? " *" : ""));
            }
            conversations.row(row.toArray());
        }
        conversations.print(out, "   ");

        out.println();
        out.println("   Datagrams each backend received in each steady phase (health probes not counted)");
        List<String> counts = new ArrayList<>(List.of("backend", "role"));
        phases.forEach(p -> counts.add(p.name()));
        counts.add("probes ok/failed");
        Table datagrams = new Table(counts.toArray(new String[0]));
        for (int b = 0; b < backends.size(); b++) {
            List<Object> row = new ArrayList<>(List.of(Addresses.format(backends.get(b).address()),
                    b == 3 ? "backup" : "primary"));
            for (Phase phase : phases) {
                row.add(phase.datagrams()[b]);
            }
            row.add(probes.successes(b) + "/" + probes.failures(b));
            datagrams.row(row.toArray());
        }
        datagrams.print(out, "   ");
        out.printf("%n   Sessions: %d live, %d opened in all: each client socket kept its one session throughout.%n",
                daemon.sessionCount(), daemon.counters().total(LoopCounter.SESSIONS_OPENED));
        demo.check(daemon.sessionCount() == CLIENTS && daemon.counters().total(LoopCounter.SESSIONS_OPENED) == CLIENTS,
                "sessions: the " + CLIENTS + " client sockets kept their sessions through every switch ("
                        + daemon.counters().total(LoopCounter.SESSIONS_OPENED) + " opened)");
    }

    private void checks(Phase allUp, Phase oneDown, Phase onBackup, Phase victimBack, Phase allBack,
                        Backend victim, int[] firstAfterKill, long backupBefore) {
        long unsteady = IntStream.range(0, CONVERSATIONS)
                .filter(i -> phases.stream().anyMatch(p -> p.backendOf()[i] == UNSTEADY)).count();
        demo.check(unsteady == 0, "stickiness: " + unsteady + " of " + CONVERSATIONS
                + " conversations on two backends within a steady phase");
        long silent = IntStream.range(0, CONVERSATIONS)
                .filter(i -> phases.stream().anyMatch(p -> p.backendOf()[i] == NONE)).count();
        demo.check(silent == 0, "answers: " + silent + " of " + CONVERSATIONS
                + " conversations unanswered for a whole steady phase");
        long clientsOnSeveral = IntStream.range(0, CLIENTS).filter(c -> IntStream.range(0, CONVERSATIONS_PER_CLIENT)
                .map(j -> allUp.backendOf()[c * CONVERSATIONS_PER_CLIENT + j]).distinct().count() > 1).count();
        demo.check(clientsOnSeveral > 0, "one socket, several backends: " + clientsOnSeveral + " of " + CLIENTS
                + " client sockets have conversations on different backends");

        int[] expected = predictWithout(victim);
        long victims = conversationsOn(allUp.backendOf(), victim);
        long othersMoved = IntStream.range(0, CONVERSATIONS)
                .filter(i -> allUp.backendOf()[i] != victim.id() && oneDown.backendOf()[i] != allUp.backendOf()[i])
                .count();
        boolean victimsMoved = IntStream.range(0, CONVERSATIONS).filter(i -> allUp.backendOf()[i] == victim.id())
                .allMatch(i -> oneDown.backendOf()[i] != victim.id() && oneDown.backendOf()[i] != backup().id());
        demo.check(victimsMoved && Arrays.equals(oneDown.backendOf(), expected)
                        && Arrays.equals(firstAfterKill, expected),
                "failover: the " + victims + " conversations of " + victim.ip() + " moved to the other primaries; "
                        + othersMoved + " of the other " + (CONVERSATIONS - victims) + " moved"
                        + (othersMoved == 0 ? "" : " (the Maglev table moves under 1% of other keys)"));

        int backup = 3;
        demo.check(backupBefore == 0 && allUp.datagrams()[backup] == 0 && oneDown.datagrams()[backup] == 0,
                "backup: " + backupBefore + " datagrams before every primary was down");
        boolean backupAlone = Arrays.stream(onBackup.backendOf()).allMatch(id -> id == backup().id())
                && IntStream.range(0, backup).allMatch(b -> onBackup.datagrams()[b] == 0);
        demo.check(backupAlone, "backup: took all " + CONVERSATIONS + " conversations while every primary was down ("
                + onBackup.datagrams()[backup] + " datagrams)");
        demo.check(victimBack.datagrams()[backup] == 0 && allBack.datagrams()[backup] == 0,
                "backup: " + (victimBack.datagrams()[backup] + allBack.datagrams()[backup])
                        + " datagrams once a primary was back");
        demo.check(Arrays.equals(allBack.backendOf(), allUp.backendOf()),
                "return: every conversation back on its first backend once all primaries were up");
    }

    /** Where each conversation goes with {@code victim} down, by the same Maglev table the daemon builds. */
    private int[] predictWithout(Backend victim) {
        Upstream twin = Upstream.of(kcp.config());
        twin.setPeerUp(peerIndex(victim), false, "the demo's prediction, not the running load balancer");
        Selector selector = twin.newSelector();
        ByteBuf datagram = Unpooled.wrappedBuffer(segment(0, 0));
        try {
            int[] ids = new int[CONVERSATIONS];
            for (int i = 0; i < CONVERSATIONS; i++) {
                datagram.setInt(0, conv(i));
                int peer = selector.select(datagram);
                ids[i] = peer < 0 ? NONE : idOf(twin.peer(peer));
            }
            return ids;
        } finally {
            datagram.release();
        }
    }

    private static int idOf(Peer peer) {
        return Backend.idOf(peer.address());
    }
}
