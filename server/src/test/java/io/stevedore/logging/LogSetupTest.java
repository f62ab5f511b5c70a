package io.stevedore.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TimeBasedFileNamingAndTriggeringPolicy;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import io.stevedore.config.LogConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogSetupTest {

    private static final DateTimeFormatter HOURLY = DateTimeFormatter.ofPattern("yyyy-MM-dd_HH");

    private final Logger log = LoggerFactory.getLogger(LogSetupTest.class);

    @TempDir
    Path dir;

    @AfterEach
    void restoreDefaultLogging() throws Exception {
        LoggerContext context = context();
        context.reset();
        new ContextInitializer(context).autoConfig();
    }

    @Test
    void aFileGetsTheLinesAtOrAboveTheLevel() throws Exception {
        Path file = dir.resolve("stevedore.log");
        LogSetup.configure(new LogConfig(file.toString(), "warn", false, 168, 24));

        log.info("an info line");
        log.warn("a warn line");
        log.error("an error line");

        assertThat(Files.readString(file))
                .contains(" WARN ", "a warn line", "an error line", LogSetupTest.class.getSimpleName())
                .doesNotContain("an info line")
                .doesNotContain(".java:");
    }

    @Test
    void theFileAndItsDirectoryAreCreated() throws Exception {
        Path file = dir.resolve("log/sub/stevedore.log");
        LogSetup.configure(new LogConfig(file.toString(), "info", false, 168, 24));

        log.info("first line");

        assertThat(Files.readString(file)).contains(" INFO ", "first line");
    }

    @Test
    void verboseAddsTheCaller() throws Exception {
        Path file = dir.resolve("stevedore.log");
        LogSetup.configure(new LogConfig(file.toString(), "debug", true, 168, 24));

        log.debug("where am I");

        assertThat(Files.readString(file)).containsPattern("verboseAddsTheCaller\\(LogSetupTest\\.java:\\d+\\) - where am I");
    }

    @Test
    void anEmptyPathLogsToTheConsole() {
        LogSetup.configure(new LogConfig("", "info", false, 168, 24));

        assertThat(appender()).isInstanceOf(ConsoleAppender.class);
        assertThat(log.isInfoEnabled()).isTrue();
        assertThat(log.isDebugEnabled()).isFalse();
    }

    @Test
    void aPathThatCannotBeOpenedIsAClearError() throws Exception {
        Path notADirectory = dir.resolve("file");
        Files.writeString(notADirectory, "x");
        String path = notADirectory.resolve("stevedore.log").toString();

        assertThatThrownBy(() -> LogSetup.configure(new LogConfig(path, "info", false, 168, 24)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Log.Path " + path + ": cannot log there (");
    }

    @Test
    void theFileRotatesEveryRotationTimeHourHoursIntoHourlyNamedFiles() throws Exception {
        Path file = dir.resolve("stevedore.log");
        Instant started = Instant.now();
        LogSetup.configure(new LogConfig(file.toString(), "info", false, 168, 6));
        TimeBasedFileNamingAndTriggeringPolicy<ILoggingEvent> clock = trigger();
        Instant boundary = nextMultipleOfHours(started, 6);

        clock.setCurrentTime(boundary.minus(1, ChronoUnit.MINUTES).toEpochMilli());
        log.info("before the boundary");
        assertThat(logFiles()).containsExactly("stevedore.log");

        clock.setCurrentTime(boundary.plus(1, ChronoUnit.MINUTES).toEpochMilli());
        log.info("after the boundary");
        String firstArchive = "stevedore.log." + hourly(started);
        assertThat(logFiles()).containsExactly("stevedore.log", firstArchive);
        assertThat(Files.readString(dir.resolve(firstArchive))).contains("before the boundary").doesNotContain("after");
        assertThat(Files.readString(file)).contains("after the boundary").doesNotContain("before");

        clock.setCurrentTime(boundary.plus(5, ChronoUnit.HOURS).toEpochMilli());
        log.info("five hours later");
        assertThat(logFiles()).hasSize(2);

        clock.setCurrentTime(boundary.plus(6, ChronoUnit.HOURS).plus(1, ChronoUnit.MINUTES).toEpochMilli());
        log.info("six hours later");
        assertThat(logFiles()).containsExactly("stevedore.log", firstArchive,
                "stevedore.log." + hourly(boundary.plus(1, ChronoUnit.MINUTES)));
    }

    @Test
    void rotatedFilesOlderThanMaxAgeHourArePrunedAtStartup() throws Exception {
        Instant now = Instant.now();
        Path old = Files.writeString(dir.resolve("stevedore.log." + hourly(now.minus(10, ChronoUnit.HOURS))), "old\n");
        Path recent = Files.writeString(dir.resolve("stevedore.log." + hourly(now.minus(2, ChronoUnit.HOURS))), "recent\n");

        LogSetup.configure(new LogConfig(dir.resolve("stevedore.log").toString(), "info", false, 5, 1));

        // Logback prunes on a background thread: poll, never sleep a fixed time.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Files.exists(old) && Instant.now().isBefore(deadline)) {
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
        assertThat(old).doesNotExist();
        assertThat(recent).exists();
    }

    private static LoggerContext context() {
        return (LoggerContext) LoggerFactory.getILoggerFactory();
    }

    private static Appender<ILoggingEvent> appender() {
        return context().getLogger(Logger.ROOT_LOGGER_NAME).getAppender(LogSetup.APPENDER_NAME);
    }

    @SuppressWarnings("unchecked")
    private static TimeBasedFileNamingAndTriggeringPolicy<ILoggingEvent> trigger() {
        RollingFileAppender<ILoggingEvent> file = (RollingFileAppender<ILoggingEvent>) appender();
        return ((TimeBasedRollingPolicy<ILoggingEvent>) file.getRollingPolicy()).getTimeBasedFileNamingAndTriggeringPolicy();
    }

    private List<String> logFiles() throws Exception {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String hourly(Instant instant) {
        return HOURLY.format(instant.atZone(ZoneId.systemDefault()));
    }

    /** The first local-time hour after {@code instant} that is a multiple of {@code hours}. */
    private static Instant nextMultipleOfHours(Instant instant, int hours) {
        LocalDateTime hour = LocalDateTime.ofInstant(instant, ZoneId.systemDefault()).truncatedTo(ChronoUnit.HOURS);
        LocalDateTime next = hour.withHour(0).plusHours((hour.getHour() / hours + 1) * (long) hours);
        return next.atZone(ZoneId.systemDefault()).toInstant();
    }
}
