package io.stevedore.loadtool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** A load result as a person reads it, or as JSON for scripts. */
final class Report {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Report() {
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the result as JSON", e);
        }
    }

    static String text(LoadResult r) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s; %.2f s measured, stopped by %s%n",
                r.description(), r.seconds(), r.stoppedBy()));
        out.append(String.format(Locale.ROOT, "  sent       %,13d  (%,.0f/s)%n", r.sent(), r.sentPerSecond()));
        out.append(String.format(Locale.ROOT, "  received   %,13d  (%,.0f/s)%n", r.received(), r.repliesPerSecond()));
        out.append(String.format(Locale.ROOT, "  lost       %,13d  (%.2f%%)%n", r.lost(), r.lossPercent()));
        LoadResult.Latency l = r.latencyMicros();
        out.append(String.format(Locale.ROOT,
                "  latency us p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (%,d replies)%n",
                l.p50(), l.p90(), l.p99(), l.p999(), l.max(), l.count()));
        out.append("  backends  ").append(shares(r.backends(), r.received())).append('\n');
        out.append(String.format(Locale.ROOT,
                "  conversations %,d, answered %,d, answered by more than one backend %,d%n",
                r.conversations(), r.conversationsAnswered(), r.conversationsOnSeveralBackends()));
        if (r.resent() > 0 || r.stray() > 0 || r.sendErrors() > 0) {
            out.append(String.format(Locale.ROOT,
                    "  resent after the loss timeout %,d, stray replies %,d, send errors %,d%n",
                    r.resent(), r.stray(), r.sendErrors()));
        }
        out.append(String.format(Locale.ROOT, "  cpu s      load tool %.2f", r.clientCpuSeconds()));
        r.cpuSeconds().forEach((pid, seconds) ->
                out.append(String.format(Locale.ROOT, ", pid %d %.2f", pid, seconds)));
        return out.append('\n').toString();
    }

    private static String shares(Map<String, Long> backends, long received) {
        if (backends.isEmpty()) {
            return " none";
        }
        StringJoiner joiner = new StringJoiner("  ", " ", "");
        backends.forEach((name, count) -> joiner.add(String.format(Locale.ROOT, "%s %.1f%%", name,
                received == 0 ? 0.0 : 100.0 * count / received)));
        return joiner.toString();
    }
}
