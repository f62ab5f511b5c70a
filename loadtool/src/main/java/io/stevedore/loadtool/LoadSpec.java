package io.stevedore.loadtool;

import io.stevedore.config.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One bounded load run, validated.
 *
 * <p>The client opens {@code sockets} UDP sockets, each from its own source port (and, with
 * {@code sourceIps}, from those addresses in turn). Socket {@code s} carries conversations
 * {@code s * convsPerSocket + 1 .. (s + 1) * convsPerSocket}, written in turn in bytes 0..4;
 * conversation {@code c} goes to {@code targets[c % targets.size()]}, so several targets split the
 * conversations between them as a proxy would.
 *
 * <p>Nothing is measured during {@code warmup}; then {@code duration} is measured. Sending stops at
 * the end of the duration or after {@code maxDatagrams} datagrams in all, whichever comes first.
 */
public record LoadSpec(
        List<InetSocketAddress> targets,
        int sockets,
        List<InetAddress> sourceIps,
        int convsPerSocket,
        int size,
        Shape shape,
        double rate,
        int window,
        Duration duration,
        Duration warmup,
        long maxDatagrams,
        int batch,
        Duration lossTimeout,
        List<Long> cpuPids) {

    public static final int MAX_SOCKETS = 4096;
    public static final int MAX_CONVERSATIONS = 1 << 22;
    public static final Duration MAX_DURATION = Duration.ofHours(1);

    public LoadSpec {
        targets = List.copyOf(targets);
        sourceIps = List.copyOf(sourceIps);
        cpuPids = List.copyOf(cpuPids);
        List<String> errors = new ArrayList<>();
        if (targets.isEmpty()) {
            errors.add("--target: at least one is needed");
        }
        for (InetSocketAddress target : targets) {
            check(errors, "--target " + target, () -> Loopback.requireLoopback(target.getAddress()));
            if (target.getPort() == 0) {
                errors.add("--target " + Addresses.format(target) + ": port 0 is not a destination");
            }
        }
        for (InetAddress ip : sourceIps) {
            check(errors, "--source-ips", () -> Loopback.requireLoopback(ip));
        }
        long families = java.util.stream.Stream.concat(
                        targets.stream().map(InetSocketAddress::getAddress), sourceIps.stream())
                .map(InetAddress::getClass).distinct().count();
        if (families > 1) {
            errors.add("--target and --source-ips: mix IPv4 and IPv6; use one family");
        }
        if (sockets < 1 || sockets > MAX_SOCKETS) {
            errors.add("--sockets " + sockets + ": expected 1.." + MAX_SOCKETS);
        }
        if (convsPerSocket < 1 || (long) convsPerSocket * Math.max(sockets, 1) > MAX_CONVERSATIONS) {
            errors.add("--convs " + convsPerSocket + ": expected at least 1, and at most "
                    + MAX_CONVERSATIONS + " conversations over all sockets");
        }
        if (size < Wire.HEADER_SIZE || size > Wire.MAX_SIZE) {
            errors.add("--size " + size + ": expected " + Wire.HEADER_SIZE + ".." + Wire.MAX_SIZE + " bytes");
        }
        if (shape == null) {
            errors.add("--shape: expected flood, rate or closed");
        } else if (shape == Shape.RATE && !(rate > 0 && rate <= 10_000_000)) {
            errors.add("--rate " + rate + ": expected a rate per second in (0, 10000000] for --shape rate");
        } else if (shape == Shape.CLOSED && (window < 1 || window > Wire.MAX_WINDOW)) {
            errors.add("--window " + window + ": expected 1.." + Wire.MAX_WINDOW + " for --shape closed");
        }
        if (duration.compareTo(Duration.ofMillis(100)) < 0 || duration.compareTo(MAX_DURATION) > 0) {
            errors.add("--duration " + duration.toMillis() / 1000.0 + " s: expected 0.1 s to 1 hour");
        }
        if (warmup.isNegative() || warmup.compareTo(MAX_DURATION) > 0) {
            errors.add("--warmup " + warmup.toMillis() / 1000.0 + " s: expected 0 to 1 hour");
        }
        if (maxDatagrams < 1) {
            errors.add("--max-datagrams " + maxDatagrams + ": expected at least 1");
        }
        if (batch < 1 || batch > 1024) {
            errors.add("--batch " + batch + ": expected 1..1024");
        }
        if (lossTimeout.compareTo(Duration.ofMillis(1)) < 0 || lossTimeout.compareTo(Duration.ofSeconds(60)) > 0) {
            errors.add("--loss-timeout " + lossTimeout.toMillis() + " ms: expected 1 ms to 60 s");
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", errors));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public int conversations() {
        return sockets * convsPerSocket;
    }

    /** What the run is, in one line for reports. */
    public String describe() {
        String pace = switch (shape) {
            case FLOOD -> "flood";
            case RATE -> "rate " + Math.round(rate) + "/s";
            case CLOSED -> "closed loop, window " + window + " per socket";
        };
        return pace + ", " + sockets + " socket" + (sockets == 1 ? "" : "s") + " x " + convsPerSocket
                + " conv, " + size + " B";
    }

    private static void check(List<String> errors, String what, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            errors.add(what + ": " + e.getMessage());
        }
    }

    /** Defaults for everything but the target: one socket, one conversation, 64 B, closed loop of 1. */
    public static final class Builder {
        private List<InetSocketAddress> targets = List.of();
        private int sockets = 1;
        private List<InetAddress> sourceIps = List.of();
        private int convsPerSocket = 1;
        private int size = 64;
        private Shape shape = Shape.CLOSED;
        private double rate = 1000;
        private int window = 1;
        private Duration duration = Duration.ofSeconds(5);
        private Duration warmup = Duration.ofSeconds(1);
        private long maxDatagrams = 100_000_000L;
        private int batch = 32;
        private Duration lossTimeout = Duration.ofMillis(200);
        private List<Long> cpuPids = List.of();

        private Builder() {
        }

        public Builder targets(List<InetSocketAddress> value) {
            targets = value;
            return this;
        }

        public Builder sockets(int value) {
            sockets = value;
            return this;
        }

        public Builder sourceIps(List<InetAddress> value) {
            sourceIps = value;
            return this;
        }

        public Builder convsPerSocket(int value) {
            convsPerSocket = value;
            return this;
        }

        public Builder size(int value) {
            size = value;
            return this;
        }

        public Builder shape(Shape value) {
            shape = value;
            return this;
        }

        public Builder rate(double value) {
            rate = value;
            return this;
        }

        public Builder window(int value) {
            window = value;
            return this;
        }

        public Builder duration(Duration value) {
            duration = value;
            return this;
        }

        public Builder warmup(Duration value) {
            warmup = value;
            return this;
        }

        public Builder maxDatagrams(long value) {
            maxDatagrams = value;
            return this;
        }

        public Builder batch(int value) {
            batch = value;
            return this;
        }

        public Builder lossTimeout(Duration value) {
            lossTimeout = value;
            return this;
        }

        public Builder cpuPids(List<Long> value) {
            cpuPids = value;
            return this;
        }

        public LoadSpec build() {
            return new LoadSpec(targets, sockets, sourceIps, convsPerSocket, size, shape, rate, window,
                    duration, warmup, maxDatagrams, batch, lossTimeout, cpuPids);
        }
    }
}
