package io.stevedore.loadtool;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.function.UnaryOperator;

/**
 * The four measurements of the comparison, one column each. Every path is measured with the same
 * client: 64 B datagrams, one conversation per socket, the sockets spread over 32 source addresses
 * so that a proxy hashing the client address has 32 keys to spread.
 */
enum CompareShape {
    CLOSED("closed loop 64 B (64 sockets × 4 in flight)", "closed loop", "replies/s",
            spec -> spec.shape(Shape.CLOSED).sockets(64).window(4), LoadResult::repliesPerSecond),
    FLOOD("flood 64 B replies/s", "flood", "replies/s",
            spec -> spec.shape(Shape.FLOOD).sockets(64), LoadResult::repliesPerSecond),
    RATE("p99 at 20k/s", "20k/s", "µs",
            spec -> spec.shape(Shape.RATE).sockets(64).rate(CompareShape.RATE_PER_SECOND),
            result -> result.latencyMicros().p99()),
    ONE_AT_A_TIME("one-at-a-time round trip p50", "one at a time", "µs",
            spec -> spec.shape(Shape.CLOSED).sockets(1).window(1), result -> result.latencyMicros().p50());

    static final String SOURCE_IPS = "127.0.0.10-127.0.0.41";
    static final double RATE_PER_SECOND = 20_000;

    private final String title;
    private final String load;
    private final String unit;
    private final UnaryOperator<LoadSpec.Builder> configure;
    private final ToDoubleFunction<LoadResult> headline;

    CompareShape(String title, String load, String unit, UnaryOperator<LoadSpec.Builder> configure,
                 ToDoubleFunction<LoadResult> headline) {
        this.title = title;
        this.load = load;
        this.unit = unit;
        this.configure = configure;
        this.headline = headline;
    }

    String title() {
        return title;
    }

    /** The load alone, without what the column shows of it: {@code flood}, {@code 20k/s}... */
    String load() {
        return load;
    }

    /** {@code replies/s}, where more is better, or {@code µs}, where less is. */
    String unit() {
        return unit;
    }

    boolean higherIsBetter() {
        return unit.equals("replies/s");
    }

    /** The number this column shows for one run. */
    double headline(LoadResult result) {
        return headline.applyAsDouble(result);
    }

    LoadSpec spec(List<InetSocketAddress> targets, Duration warmup, Duration duration, List<Long> cpuPids) {
        return configure.apply(LoadSpec.builder())
                .targets(targets)
                .sourceIps(Loopback.addresses(SOURCE_IPS))
                .size(64)
                .warmup(warmup)
                .duration(duration)
                .cpuPids(cpuPids)
                .build();
    }
}
