package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stevedore.testing.Fifo;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The configuration path must name a regular file of at most 16 MiB. Anything else is one error
 * naming the path and what it is, found by looking at the path before opening it, so it comes at
 * once, in this JVM as in {@code -t} (HostileConfigFileTest): no load ever waits on a FIFO or
 * reads a device.
 */
class ConfigFileKindTest {

    /** Far below the 5 s read bound: an answer this quick cannot have waited on a read. */
    private static final Duration PROMPTLY = Duration.ofSeconds(2);
    private static final String VALID = "{\"Upload\": {\"DefaultUpstream\": \"a\", \"Upstreams\": [{\"Name\": \"a\","
            + " \"Type\": \"rr\", \"Peers\": [{\"IP\": \"127.0.0.2\", \"Port\": 4001}]}]}}";

    @TempDir
    Path dir;

    /** A path to make in the test's directory; returns the path to load. */
    private interface Making {
        Path make(Path dir) throws Exception;
    }

    static Stream<Arguments> notConfigurationFiles() {
        String notRegular = ", not a regular file; expected a JSON configuration file";
        return Stream.of(
                Arguments.of("a FIFO", (Making) d -> Fifo.make(d.resolve("stevedore.json")),
                        ": is a FIFO (named pipe)" + notRegular),
                Arguments.of("a link to a FIFO", (Making) d -> Files.createSymbolicLink(d.resolve("stevedore.json"),
                        Fifo.make(d.resolve("pipe"))), ": is a FIFO (named pipe)" + notRegular),
                Arguments.of("a directory", (Making) d -> Files.createDirectory(d.resolve("conf.d")),
                        ": is a directory" + notRegular),
                Arguments.of("an empty device", (Making) d -> Path.of("/dev/null"), ": is a character device" + notRegular),
                Arguments.of("an endless device", (Making) d -> Path.of("/dev/zero"), ": is a character device" + notRegular),
                Arguments.of("17 MiB", (Making) d -> sparse(d.resolve("big.json"), 17L << 20),
                        ": 17825792 bytes; expected a JSON configuration file of at most 16777216 bytes (16 MiB)"),
                Arguments.of("a missing path", (Making) d -> d.resolve("nope.json"), ": no such file"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notConfigurationFiles")
    void isOneErrorNamingThePathAndWhatItIsAtOnce(String what, Making making, String reason) throws Exception {
        Path path = making.make(dir);

        long start = System.nanoTime();
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(path));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(e).as("loading " + what).isNotNull();
        assertThat(e.errors()).containsExactly(path + reason);
        assertThat(took).as("time to reject " + what).isLessThan(PROMPTLY);
    }

    @Test
    void aFileOfExactlySixteenMebibytesIsReadAndParsed() throws Exception {
        byte[] bytes = new byte[ConfigLoader.MAX_FILE_BYTES];
        Arrays.fill(bytes, (byte) ' ');
        System.arraycopy(VALID.getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, VALID.length());
        Path file = Files.write(dir.resolve("padded.json"), bytes);

        assertThat(ConfigLoader.load(file).config().upload().upstreams()).hasSize(1);
    }

    @Test
    void aSymbolicLinkToARegularFileIsFollowed() throws Exception {
        Path target = Files.writeString(dir.resolve("real.json"), VALID);
        Path link = Files.createSymbolicLink(dir.resolve("stevedore.json"), target);

        assertThat(ConfigLoader.load(link).config().upload().defaultUpstream()).isEqualTo("a");
    }

    /**
     * The bound on the read itself, for a path that turns into a FIFO between the look and the
     * open: the caller gets an error at the deadline, and only the reading thread waits on.
     */
    @Test
    void aReadThatBlocksEndsInAnErrorAtItsDeadline() throws Exception {
        Path fifo = Fifo.make(dir.resolve("stevedore.json"));

        long start = System.nanoTime();
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.readBounded(fifo, Duration.ofMillis(300)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(e.errors()).containsExactly(fifo + ": not read within 300 ms (does reading it block, like a FIFO's?);"
                + " expected a regular file");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(PROMPTLY);
        // Opening the write end lets the abandoned reader's open return, so it ends with this test.
        CompletableFuture.runAsync(() -> {
            try (OutputStream writer = Files.newOutputStream(fifo)) {
                writer.flush();
            } catch (java.io.IOException ignored) {
                // the reader is gone already: nothing to release
            }
        }).get(10, TimeUnit.SECONDS);
    }

    private static Path sparse(Path file, long size) throws Exception {
        try (RandomAccessFile holes = new RandomAccessFile(file.toFile(), "rw")) {
            holes.setLength(size);
        }
        return file;
    }
}
