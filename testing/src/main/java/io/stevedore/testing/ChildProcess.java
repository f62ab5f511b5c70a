package io.stevedore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real program run by a test. Started in the background, its stdout and stderr go to one file so
 * a failure can quote them, and {@link #close()} always ends it, so no server outlives its test.
 * Run to its end with {@link #run}, its stdout and stderr come back apart, for a test of what goes where.
 */
public final class ChildProcess implements AutoCloseable {

    /** What a program run to its end printed, and how it exited. */
    public record Finished(int exitCode, String out, String err) {
    }

    private final String name;
    private final Process process;
    private final Path output;

    private ChildProcess(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
    }

    /** {@code java -cp <the tests' class path> main args...}: a class of this build in a JVM of its own. */
    public static List<String> javaCommand(Class<?> main, String... args) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs {@code command} in {@code workDir} to its end, with {@code env} added to this
     * environment; fails the test when it is still running after {@code timeout}.
     */
    public static Finished run(Path workDir, Map<String, String> env, Duration timeout, List<String> command)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        // The launcher reads JAVA_OPTS: options of whoever runs the tests must not reach what a test asserts.
        builder.environment().remove("JAVA_OPTS");
        builder.environment().putAll(env);
        Process process = builder.start();
        CompletableFuture<String> out = readAll(process.getInputStream());
        CompletableFuture<String> err = readAll(process.getErrorStream());
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not exit within " + timeout.toSeconds()
                    + " s; output so far:\n" + out.getNow("") + err.getNow(""));
        }
        try {
            return new Finished(process.exitValue(), out.get(), err.get());
        } catch (ExecutionException e) {
            throw new IOException("cannot read the output of " + String.join(" ", command), e.getCause());
        }
    }

    private static CompletableFuture<String> readAll(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Starts {@code command}; {@code stdin} (may be null) is written to it and closed. */
    public static ChildProcess start(String name, List<String> command, String stdin) {
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

    /** The program's process id, for sending it a signal with {@code kill}. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the program to exit by itself; false when it is still running at the deadline. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public int exitCode() {
        return process.exitValue();
    }

    /** Everything the program printed so far. */
    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + output + ": " + e + ")";
        }
    }

    /** A description for assertion messages: the name, whether it runs, and what it printed. */
    public String describe() {
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
