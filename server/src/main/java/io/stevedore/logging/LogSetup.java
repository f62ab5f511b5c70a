package io.stevedore.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Context;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import ch.qos.logback.core.status.Status;
import io.stevedore.config.LogConfig;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@code Log} section to Logback, replacing whatever was configured before. An empty
 * {@code Path} logs to stderr. Otherwise the log goes to {@code Path}; every
 * {@code RotationTimeHour} hours it is renamed {@code Path.yyyy-MM-dd_HH} (the hour its period
 * began) and rotated files older than {@code MaxAgeHour} hours are deleted, at startup and at each
 * rotation. {@code Verbose} adds the caller's method, file and line to each line.
 */
public final class LogSetup {

    static final String APPENDER_NAME = "stevedore";
    private static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36}";
    private static final String CALLER = " %method\\(%file:%line\\)";
    private static final String MESSAGE = " - %msg%n";

    private LogSetup() {
    }

    /**
     * Configures logging from {@code log}.
     *
     * @throws IllegalStateException when the log file cannot be opened; the message says why
     */
    public static void configure(LogConfig log) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        long since = System.currentTimeMillis();

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN + (log.verbose() ? CALLER : "") + MESSAGE);
        encoder.start();

        OutputStreamAppender<ILoggingEvent> appender = log.path().isEmpty() ? console() : rollingFile(context, log);
        appender.setContext(context);
        appender.setName(APPENDER_NAME);
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new IllegalStateException("Log.Path " + log.path() + ": cannot log there ("
                    + errorsSince(context, since) + ")");
        }

        Level level = Level.toLevel(log.level(), Level.INFO);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(appender);
        // Netty's own debug output (allocator and platform probing) would drown ours at debug;
        // at trace the operator asked for everything.
        if (level == Level.DEBUG) {
            context.getLogger("io.netty").setLevel(Level.INFO);
        }
    }

    private static ConsoleAppender<ILoggingEvent> console() {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setTarget("System.err");
        return console;
    }

    private static RollingFileAppender<ILoggingEvent> rollingFile(LoggerContext context, LogConfig log) {
        return rollingFile(context, log.path(), log);
    }

    /**
     * A file appender at {@code path} rotated by {@code log}'s {@code RotationTimeHour} and pruned by
     * its {@code MaxAgeHour}, the main log's rules: the access log rotates by them too.
     */
    static <E> RollingFileAppender<E> rollingFile(Context context, String path, LogConfig log) {
        RollingFileAppender<E> file = new RollingFileAppender<>();
        file.setContext(context);
        file.setFile(path);

        TimeBasedRollingPolicy<E> policy = new TimeBasedRollingPolicy<>();
        policy.setContext(context);
        policy.setParent(file);
        policy.setFileNamePattern(path + ".%d{yyyy-MM-dd_HH}");
        // One period per hour of file name, so history counts hours.
        policy.setMaxHistory(log.maxAgeHour());
        policy.setCleanHistoryOnStart(true);
        EveryNHours<E> trigger = new EveryNHours<>(log.rotationTimeHour());
        trigger.setContext(context);
        policy.setTimeBasedFileNamingAndTriggeringPolicy(trigger);
        policy.start();

        file.setRollingPolicy(policy);
        file.setTriggeringPolicy(policy);
        return file;
    }

    static String errorsSince(Context context, long sinceMillis) {
        List<Status> statuses = context.getStatusManager().getCopyOfStatusList();
        String errors = statuses.stream()
                .filter(s -> s.getLevel() == Status.ERROR && s.getTimestamp() >= sinceMillis)
                .map(s -> s.getMessage() + (s.getThrowable() != null ? ": " + s.getThrowable().getMessage() : ""))
                .collect(Collectors.joining("; "));
        return errors.isEmpty() ? "the appender did not start" : errors;
    }
}
