package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stevedore.testing.Fifo;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration path must name a regular file of at most 16 MiB. Anything else is one error
 * naming the path and what it is, found by looking at the path before opening it, so it comes at
 * once: no check ever waits on a FIFO or reads a device.
 */
class ConfigFileKindTest {

    /** Far below the 5 s read bound: an answer this quick cannot have waited on a read. */
    private static final Duration PROMPTLY = Duration.ofSeconds(2);
    private static final String EXPECTED = ", not a regular file; expected a JSON configuration file";

    @TempDir
    Path dir;

    @Test
    void aFifoIsNamedAsSuchAtOnce() throws Exception {
        Path fifo = Fifo.make(dir.resolve("stevedore.json"));

        assertRejectedPromptly(fifo, fifo + ": is a FIFO (named pipe)" + EXPECTED);
    }

    @Test
    void aDirectoryIsNamedAsSuch() throws Exception {
        Path conf = Files.createDirectory(dir.resolve("conf.d"));

        assertRejectedPromptly(conf, conf + ": is a directory" + EXPECTED);
    }

    @Test
    void devicesAreNamedAsSuchEvenWhenTheyAreEmptyOrEndless() throws Exception {
        for (String device : new String[] {"/dev/null", "/dev/zero"}) {
            Path path = Path.of(device);
            assertRejectedPromptly(path, device + ": is a character device" + EXPECTED);
        }
    }

    @Test
    void aFileOfSeventeenMebibytesIsTooLargeBeforeAnyByteIsRead() throws Exception {
        Path file = dir.resolve("big.json");
        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(17L << 20);
        }

        assertRejectedPromptly(file, file + ": 17825792 bytes; expected a JSON configuration file of at most"
                + " 16777216 bytes (16 MiB)");
    }

    @Test
    void aFileOfExactlySixteenMebibytesIsReadAndParsed() throws Exception {
        Path file = dir.resolve("padded.json");
        String json = "{\"Upload\": {\"DefaultUpstream\": \"a\", \"Upstreams\": [{\"Name\": \"a\", \"Type\": \"rr\","
                + " \"Peers\": [{\"IP\": \"127.0.0.2\", \"Port\": 4001}]}]}}";
        byte[] bytes = new byte[ConfigLoader.MAX_FILE_BYTES];
        java.util.Arrays.fill(bytes, (byte) ' ');
        System.arraycopy(json.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, bytes, 0, json.length());
        Files.write(file, bytes);

        assertThat(ConfigLoader.load(file).config().upload().upstreams()).hasSize(1);
    }

    @Test
    void aMissingPathIsNoSuchFileNotInvalid() {
        Path missing = dir.resolve("nope.json");

        assertRejectedPromptly(missing, missing + ": no such file");
    }

    @Test
    void aSymbolicLinkToARegularFileIsFollowed() throws Exception {
        Path target = Files.writeString(dir.resolve("real.json"), "{\"Upload\": {\"DefaultUpstream\": \"a\","
                + " \"Upstreams\": [{\"Name\": \"a\", \"Type\": \"rr\", \"Peers\": [{\"IP\": \"127.0.0.2\", \"Port\": 1}]}]}}");
        Path link = Files.createSymbolicLink(dir.resolve("stevedore.json"), target);

        assertThat(ConfigLoader.load(link).config().upload().defaultUpstream()).isEqualTo("a");
    }

    @Test
    void aSymbolicLinkToAFifoIsTheFifo() throws Exception {
        Path fifo = Fifo.make(dir.resolve("pipe"));
        Path link = Files.createSymbolicLink(dir.resolve("stevedore.json"), fifo);

        assertRejectedPromptly(link, link + ": is a FIFO (named pipe)" + EXPECTED);
    }

    /**
     * The bound on the read itself, for a path that turns into a FIFO between the check and the
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

    private static void assertRejectedPromptly(Path path, String error) {
        long start = System.nanoTime();
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(path));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(e).as("loading " + path).isNotNull();
        assertThat(e.errors()).containsExactly(error);
        assertThat(took).as("time to reject " + path).isLessThan(PROMPTLY);
    }
}
