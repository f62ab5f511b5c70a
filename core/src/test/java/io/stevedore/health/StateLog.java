package io.stevedore.health;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.stevedore.balancing.Upstream;
import io.stevedore.testing.Poll;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * The state-change lines the upstreams log while a test runs. An upstream publishes its new state
 * before it logs the line, so a test that saw the state waits for the line too.
 */
final class StateLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger(Upstream.class);
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    StateLog() {
        start();
        logger.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent event) {
        threads.add(event.getThreadName());
        lines.add(event.getFormattedMessage());
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    /** The thread that logged each of {@link #lines()}, which is the one that published the change. */
    List<String> threads() {
        return List.copyOf(threads);
    }

    /** Waits briefly for a line containing every one of {@code parts}. */
    void expectLine(String... parts) {
        Poll.until(Duration.ofSeconds(1), "a log line with " + String.join(", ", parts),
                () -> lines.stream().anyMatch(line -> Arrays.stream(parts).allMatch(line::contains)));
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        stop();
    }
}
