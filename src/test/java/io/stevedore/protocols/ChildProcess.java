package io.stevedore.protocols;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real program run by a test: stdout and stderr go to one file so a failure can quote them, and
 * {@link #close()} always ends it, so no server outlives its test.
 */
final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path output;

    private ChildProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /** Starts {@code command}; {@code stdin} (may be null) is written to it and closed. */
    static ChildProcess start(String name, List<String> command, String stdin) {
        try {
            Path output = Files.createTempFile("stevedore-" + name.replaceAll("[^A-Za-z0-9.-]", "_") + "-", ".out");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            return new ChildProcess(name, process, output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the program to exit by itself; false when it is still running at the deadline. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    int exitCode() {
        return process.exitValue();
    }

    /** Everything the program printed so far. */
    String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + output + ": " + e + ")";
        }
    }

    /** A description for assertion messages: the name, whether it runs, and what it printed. */
    String describe() {
        String state = process.isAlive() ? "running" : "exited " + process.exitValue();
        return name + " (" + state + ") printed:\n" + output();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(output);
        } catch (IOException ignored) {
            // a stray file in the temp directory is harmless
        }
    }
}
