package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.cli.Main;
import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.ChildProcess.Finished;
import io.stevedore.testing.Fifo;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stevedore -t -c FILE} on files that are no configuration at all, run as a process the way
 * the launcher runs it: whatever the file, the check exits 1 with one error line that says what is
 * wrong with it, then the verdict, and never a stack trace. A FIFO, a device or a directory is
 * named for what it is without being opened, so the check never blocks.
 */
class HostileConfigFileTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String NOT_REGULAR = ", not a regular file; expected a JSON configuration file";
    private static final String TOO_LARGE = "; expected a JSON configuration file of at most 16777216 bytes (16 MiB)";

    @TempDir
    Path dir;

    @Test
    void anEmptyFileIsOneClearError() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.json"));

        assertOneError(file, "the file is empty; expected a JSON object with at least an Upload section");
    }

    @Test
    void aDirectoryIsOneClearError() throws Exception {
        Path file = Files.createDirectory(dir.resolve("conf.d"));

        assertOneError(file, file + ": is a directory" + NOT_REGULAR);
    }

    @Test
    void aFifoIsOneClearErrorAndTheCheckNeverWaitsForAWriter() throws Exception {
        Path fifo = Fifo.make(dir.resolve("stevedore.json"));

        assertOneError(fifo, fifo + ": is a FIFO (named pipe)" + NOT_REGULAR);
    }

    @Test
    void devicesAreOneClearErrorWhetherEmptyOrEndless() throws Exception {
        for (String device : new String[] {"/dev/null", "/dev/zero"}) {
            assertOneError(Path.of(device), device + ": is a character device" + NOT_REGULAR);
        }
    }

    /** Just above the bound, and far above it (no heap could hold it): one line with the size, no read. */
    @Test
    void aFileAboveSixteenMebibytesIsOneClearErrorNamingItsSize() throws Exception {
        for (long size : new long[] {17L << 20, 3L << 30}) {
            Path file = dir.resolve(size + ".json");
            try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
                sparse.setLength(size); // holes: no disk is used
            }
            assertOneError(file, file + ": " + size + " bytes" + TOO_LARGE);
        }
    }

    @Test
    void tenMegabytesOfOpeningBracketsAreOneClearError() throws Exception {
        byte[] brackets = new byte[10 << 20];
        Arrays.fill(brackets, (byte) '[');
        Path file = Files.write(dir.resolve("brackets.json"), brackets);

        assertOneError(file, "malformed JSON at line 1, column 1002: arrays or objects nested more than 1000 levels"
                + " deep; expected a configuration a few levels deep");
    }

    @Test
    void aBinaryFileIsOneClearError() throws Exception {
        byte[] noise = new byte[64 << 10];
        new Random(7).nextBytes(noise);
        noise[0] = (byte) 0xff; // never valid UTF-8, whatever the seed gives
        Path file = Files.write(dir.resolve("core.bin"), noise);

        assertOneError(file, file + ": not UTF-8 text; expected a JSON file in UTF-8");
    }

    @Test
    void aFileOfNulCharactersIsOneClearError() throws Exception {
        Path file = Files.write(dir.resolve("zeros.json"), new byte[4096]);

        Finished r = check(file);

        assertVerdict(file, r);
        assertThat(r.err().lines().findFirst().orElseThrow())
                .as("the one error line").matches("error: malformed JSON at line 1, column \\d+: .*code 0.*");
    }

    private void assertOneError(Path file, String error) throws Exception {
        Finished r = check(file);

        assertVerdict(file, r);
        assertThat(r.err()).as("what stevedore -t -c " + file + " says")
                .isEqualTo("error: " + error + "\nconfiguration file " + file + " test failed\n");
    }

    private static void assertVerdict(Path file, Finished r) {
        assertThat(r.exitCode()).as("exit code of stevedore -t -c " + file + "; stderr: " + r.err()).isEqualTo(1);
        assertThat(r.out()).as("stdout of a failed check").isEmpty();
        assertThat(r.err().lines()).as("an error line and the verdict, no stack trace").hasSize(2);
        assertThat(r.err()).as("no stack trace").doesNotContain("Exception", "Error:", "\tat ");
        assertThat(r.err().getBytes(StandardCharsets.UTF_8).length).as("stderr stays short").isLessThan(1000);
    }

    /** {@code stevedore -t -c FILE} in a JVM of its own, with the launcher's heap limit. */
    private Finished check(Path file) throws Exception {
        var command = ChildProcess.javaCommand(Main.class, "-t", "-c", file.toString());
        command.addAll(1, List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"));
        return ChildProcess.run(dir, Map.of(), TIMEOUT, command);
    }
}
