package io.stevedore.loadtool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/** The comparison's runs, reduced to medians with their range and written as markdown tables. */
final class CompareTable {

    /**
     * One measurement: a path, a column, a round, what the load tool saw, the proxy's pid if any,
     * and the datagrams the kernel dropped at full receive buffers of the proxy's sockets (of the
     * backends' for the direct path) during the run, warm-up included; in a flood, the bytes queued
     * in each side's receive buffers ({@link QueueCensus}).
     */
    record Run(String path, CompareShape shape, int round, LoadResult result, Optional<Long> proxyPid,
            long overflow, Optional<QueueCensus.Queued> queued) {

        Run(String path, CompareShape shape, int round, LoadResult result, Optional<Long> proxyPid, long overflow) {
            this(path, shape, round, result, proxyPid, overflow, Optional.empty());
        }

        /** CPU seconds the proxy (with its children) used during the window, if there is a proxy. */
        OptionalDouble proxyCpuSeconds() {
            return proxyPid.map(pid -> result.cpuSeconds().get(pid))
                    .filter(seconds -> seconds != null && !seconds.isNaN())
                    .map(OptionalDouble::of)
                    .orElse(OptionalDouble.empty());
        }
    }

    /** The middle value of a few runs and their spread. */
    record Spread(double median, double min, double max) {
        static Optional<Spread> of(Collection<Double> values) {
            if (values.isEmpty()) {
                return Optional.empty();
            }
            List<Double> sorted = values.stream().sorted().toList();
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            return Optional.of(new Spread(median, sorted.get(0), sorted.get(n - 1)));
        }
    }

    /** A row of the report: the path's key and heading, and why it was not measured, if it was not. */
    record Row(String key, String label, Optional<String> unavailable) {
    }

    /**
     * What the kernel charges a receive buffer for one 64-byte datagram on loopback (its truesize),
     * measured (docs/performance.md, "Flood latency and the receive buffer").
     */
    static final int QUEUED_BYTES_PER_DATAGRAM = 832;

    private final List<Row> rows;
    private final List<CompareShape> shapes;
    private final List<Run> runs;
    private final Optional<Long> echoPid;

    /** {@code echoPid}: the echo backends' process, whose CPU the runs also measured, if they did. */
    CompareTable(List<Row> rows, List<CompareShape> shapes, List<Run> runs, Optional<Long> echoPid) {
        this.rows = List.copyOf(rows);
        this.shapes = List.copyOf(shapes);
        this.runs = List.copyOf(runs);
        this.echoPid = echoPid;
    }

    Optional<Spread> spread(String path, CompareShape shape, ToDoubleFunction<Run> metric) {
        List<Double> values = new ArrayList<>();
        for (Run run : runs) {
            if (run.path().equals(path) && run.shape() == shape) {
                double value = metric.applyAsDouble(run);
                if (!Double.isNaN(value)) {
                    values.add(value);
                }
            }
        }
        return Spread.of(values);
    }

    Optional<Spread> headline(String path, CompareShape shape) {
        return spread(path, shape, run -> shape.headline(run.result()));
    }

    /** The report: results, the proxies' CPU, the ratios Stevedore / nginx and the sanity checks. */
    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append(header("path")).append(separator());
        for (Row row : rows) {
            out.append("| ").append(row.label()).append(" |");
            for (CompareShape shape : shapes) {
                out.append(' ').append(row.unavailable().isPresent() ? "n/a" : resultCell(row.key(), shape)).append(" |");
            }
            out.append('\n');
        }
        for (Row row : rows) {
            row.unavailable().ifPresent(reason -> out.append("\nn/a for ").append(row.key()).append(": ")
                    .append(reason).append('\n'));
        }

        out.append("\nCPU of the proxy's processes during each measurement (median: share of one core, "
                + "and CPU time per reply):\n\n");
        out.append(header("proxy")).append(separator());
        for (Row row : rows) {
            if (row.key().equals("direct")) {
                continue;
            }
            out.append("| ").append(row.key()).append(" |");
            for (CompareShape shape : shapes) {
                out.append(' ').append(row.unavailable().isPresent() ? "n/a" : cpuCell(row.key(), shape)).append(" |");
            }
            out.append('\n');
        }

        if (runs.stream().anyMatch(run -> run.queued().isPresent())) {
            out.append("\nWhere the flood's datagrams waited: bytes unread in the receive buffers of each side's "
                    + "sockets, the mean of samples every 50 ms of the measured window (median of the rounds), and "
                    + "the wait that queue means at the path's median replies/s (a 64 B datagram takes "
                    + QUEUED_BYTES_PER_DATAGRAM + " B of buffer on loopback):\n\n");
            out.append("| path | proxy's sockets | echo backends' | load client's |\n|---|---|---|---|\n");
            for (Row row : rows) {
                if (row.unavailable().isEmpty()) {
                    out.append("| ").append(row.key()).append(" | ")
                            .append(queuedCell(row.key(), q -> q.proxy() == null ? Double.NaN : q.proxy())).append(" | ")
                            .append(queuedCell(row.key(), QueueCensus.Queued::echo)).append(" | ")
                            .append(queuedCell(row.key(), QueueCensus.Queued::client)).append(" |\n");
                }
            }
        }

        List<Row> nginx = rows.stream()
                .filter(r -> r.key().startsWith("nginx") || r.key().equals("baseline")).toList();
        out.append("\nRatios Stevedore / nginx (and / baseline) of the medians (replies/s: above 1 is better; "
                + "latency and CPU per reply: below 1 is better):\n\n");
        out.append("| measurement |");
        nginx.forEach(r -> out.append(" Stevedore / ").append(r.key()).append(" |"));
        out.append("\n|---|");
        nginx.forEach(r -> out.append("---|"));
        out.append('\n');
        for (CompareShape shape : shapes) {
            out.append("| ").append(shape.title()).append(" |");
            nginx.forEach(r -> out.append(' ').append(ratio(headline("stevedore", shape), headline(r.key(), shape)))
                    .append(" |"));
            if (shape == CompareShape.FLOOD) {
                out.append("\n| flood p99 round trip |");
                nginx.forEach(r -> out.append(' ').append(ratio(floodP99("stevedore"), floodP99(r.key()))).append(" |"));
            }
            out.append("\n| CPU per reply, ").append(shape.load()).append(" |");
            nginx.forEach(r -> out.append(' ').append(ratio(cpuPerReply("stevedore", shape), cpuPerReply(r.key(), shape)))
                    .append(" |"));
            out.append('\n');
        }

        out.append("\nChecks: replies per backend in the closed loop (all rounds), conversations answered by "
                + "more than one backend (any run), and the CPU of the load tool and of the echo backends "
                + "(median share of one core over all runs; near 100% means that side may have been the limit):\n\n");
        out.append("| path | share per backend | conversations on two backends | load tool CPU | echo CPU |\n"
                + "|---|---|---|---|---|\n");
        for (Row row : rows) {
            if (row.unavailable().isPresent()) {
                continue;
            }
            out.append("| ").append(row.key()).append(" | ").append(shares(row.key())).append(" | ")
                    .append(runs.stream().filter(r -> r.path().equals(row.key()))
                            .mapToInt(r -> r.result().conversationsOnSeveralBackends()).max().orElse(0))
                    .append(" | ").append(cpuShare(row.key(), r -> r.result().clientCpuSeconds()))
                    .append(" | ").append(echoPid.map(pid -> cpuShare(row.key(), r -> {
                        Double seconds = r.result().cpuSeconds().get(pid);
                        return seconds == null ? Double.NaN : seconds;
                    })).orElse("n/a")).append(" |\n");
        }
        return out.toString();
    }

    private String header(String first) {
        StringBuilder out = new StringBuilder("| ").append(first).append(" |");
        shapes.forEach(shape -> out.append(' ').append(shape.title()).append(" |"));
        return out.append('\n').toString();
    }

    private String separator() {
        return "|---|" + "---|".repeat(shapes.size()) + "\n";
    }

    private String resultCell(String path, CompareShape shape) {
        Optional<Spread> spread = headline(path, shape);
        if (spread.isEmpty()) {
            return "no runs";
        }
        Spread s = spread.get();
        String cell = shape.higherIsBetter()
                ? rate(s.median()) + "/s (" + rate(s.min()) + "–" + rate(s.max()) + ")"
                : micros(s.median()) + " µs (" + micros(s.min()) + "–" + micros(s.max()) + ")";
        if (shape == CompareShape.FLOOD) {
            Optional<Spread> loss = spread(path, shape, run -> run.result().lossPercent());
            cell += loss.map(l -> String.format(Locale.ROOT, ", %.0f%% lost", l.median())).orElse("");
            // In a flood the queue is the receive buffers: how long a reply waited, and what they lost.
            Optional<Spread> p50 = spread(path, shape, run -> run.result().latencyMicros().p50());
            Optional<Spread> p99 = spread(path, shape, run -> run.result().latencyMicros().p99());
            if (p50.isPresent() && p99.isPresent()) {
                cell += ", p50 " + millis(p50.get().median()) + " ms, p99 " + millis(p99.get().median()) + " ms";
            }
            cell += spread(path, shape, run -> run.overflow()).map(o -> ", " + count(o.median()) + " overflowed")
                    .orElse("");
        }
        if (shape == CompareShape.RATE) {
            // A latency "at 20k/s" means little if the client could not send 20k/s.
            Optional<Spread> sent = spread(path, shape, run -> run.result().sentPerSecond());
            if (sent.isPresent() && sent.get().median() < 0.95 * CompareShape.RATE_PER_SECOND) {
                cell += ", only " + rate(sent.get().median()) + "/s sent";
            }
        }
        return cell;
    }

    private String queuedCell(String path, ToDoubleFunction<QueueCensus.Queued> side) {
        Optional<Spread> replies = headline(path, CompareShape.FLOOD);
        return spread(path, CompareShape.FLOOD, run -> run.queued().map(side::applyAsDouble).orElse(Double.NaN))
                .map(s -> bytes(s.median()) + " (" + bytes(s.min()) + "–" + bytes(s.max()) + ")"
                        + replies.filter(r -> r.median() > 0).map(r -> ", ≈ " + millis(
                                s.median() / QUEUED_BYTES_PER_DATAGRAM / r.median() * 1e6) + " ms").orElse(""))
                .orElse("n/a");
    }

    /** Bytes the way the table reads them: 1.2 MB, 310 kB, 0 B. */
    static String bytes(double n) {
        if (n >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        }
        return n >= 1000 ? String.format(Locale.ROOT, "%.0f kB", n / 1000) : String.format(Locale.ROOT, "%.0f B", n);
    }

    private Optional<Spread> floodP99(String path) {
        return spread(path, CompareShape.FLOOD, run -> run.result().latencyMicros().p99());
    }

    private Optional<Spread> cpuPerReply(String path, CompareShape shape) {
        return spread(path, shape, run -> run.proxyCpuSeconds().isPresent() && run.result().received() > 0
                ? run.proxyCpuSeconds().getAsDouble() / run.result().received() * 1e6
                : Double.NaN);
    }

    private String cpuCell(String path, CompareShape shape) {
        Optional<Spread> share = spread(path, shape, run -> run.proxyCpuSeconds().isPresent()
                ? 100 * run.proxyCpuSeconds().getAsDouble() / run.result().seconds()
                : Double.NaN);
        Optional<Spread> perReply = cpuPerReply(path, shape);
        if (share.isEmpty() || perReply.isEmpty()) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.0f%% · %.1f µs/reply", share.get().median(), perReply.get().median());
    }

    private String cpuShare(String path, ToDoubleFunction<Run> cpuSeconds) {
        Optional<Spread> share = Spread.of(runs.stream().filter(r -> r.path().equals(path))
                .map(r -> 100 * cpuSeconds.applyAsDouble(r) / r.result().seconds())
                .filter(value -> !value.isNaN()).toList());
        return share.map(s -> String.format(Locale.ROOT, "%.0f%%", s.median())).orElse("n/a");
    }

    private String shares(String path) {
        Map<String, Long> counts = new TreeMap<>();
        long[] total = {0};
        runs.stream().filter(r -> r.path().equals(path) && r.shape() == CompareShape.CLOSED).forEach(r -> {
            r.result().backends().forEach((name, count) -> counts.merge(name, count, Long::sum));
            total[0] += r.result().received();
        });
        if (total[0] == 0) {
            return "n/a";
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((name, count) -> parts.add(String.format(Locale.ROOT, "%s %.0f%%", name,
                100.0 * count / total[0])));
        return String.join(", ", parts);
    }

    private static String ratio(Optional<Spread> numerator, Optional<Spread> denominator) {
        if (numerator.isEmpty() || denominator.isEmpty() || denominator.get().median() == 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2f×", numerator.get().median() / denominator.get().median());
    }

    /** Replies per second the way the table reads them: 308k, 68k, 9.5k, 840. */
    static String rate(double perSecond) {
        if (perSecond >= 10_000) {
            return String.format(Locale.ROOT, "%.0fk", perSecond / 1000);
        }
        if (perSecond >= 1000) {
            return String.format(Locale.ROOT, "%.1fk", perSecond / 1000);
        }
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }

    static String millis(double micros) {
        return String.format(Locale.ROOT, micros >= 100_000 ? "%,.0f" : "%.1f", micros / 1000);
    }

    /** A count the way the table reads it: 1.2M, 85k, 9.5k, 840. */
    static String count(double n) {
        return n >= 1_000_000 ? String.format(Locale.ROOT, "%.1fM", n / 1e6) : rate(n);
    }

    static String micros(double micros) {
        return String.format(Locale.ROOT, micros >= 100 ? "%,.0f" : "%.1f", micros);
    }
}
