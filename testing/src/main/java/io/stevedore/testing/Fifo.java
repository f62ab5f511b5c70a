package io.stevedore.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.ChildProcess.Finished;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A named pipe made with {@code mkfifo}, as an operator might leave one where a configuration file
 * was expected: opening it for reading blocks until some process opens it for writing, which in a
 * test none ever does.
 */
public final class Fifo {

    private Fifo() {
    }

    /** Makes the FIFO {@code path} (which must not exist) and returns it. */
    public static Path make(Path path) throws Exception {
        Finished mkfifo = ChildProcess.run(path.getParent(), Map.of(), Duration.ofSeconds(30),
                List.of("mkfifo", path.toString()));
        assertThat(mkfifo.exitCode()).as("mkfifo %s: %s", path, mkfifo.err()).isZero();
        return path;
    }
}
