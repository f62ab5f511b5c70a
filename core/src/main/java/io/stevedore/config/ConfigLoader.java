package io.stevedore.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads a configuration file in the original product's schema: JSON with {@code //} and
 * {@code /* *}{@code /} comments and case-insensitive keys. The one entry point for the daemon,
 * {@code -t} and reloads; it never touches the network (peer addresses must be IP literals).
 */
public final class ConfigLoader {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Far beyond any real configuration, far below what would strain the heap. */
    static final int MAX_FILE_BYTES = 16 << 20;

    /**
     * How long a read may take. A regular file of 16 MiB reads in milliseconds; what takes longer
     * is a path that became a FIFO or a hung network mount after it was checked.
     */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private ConfigLoader() {
    }

    /** Loads {@code file}; every error of the file is in the exception, one line each. */
    public static LoadedConfig load(Path file) throws ConfigException {
        return parse(read(file, READ_TIMEOUT));
    }

    /**
     * The file as UTF-8 text. Its kind and size are checked before it is opened, since opening a
     * FIFO blocks until a writer comes and a device may never end; the read itself is bounded in
     * bytes and in time, for a path replaced between the check and the open.
     */
    static String read(Path file, Duration timeout) throws ConfigException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw failure(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw failure(file + ": permission denied");
        } catch (IOException e) {
            throw failure(file + ": cannot be read (" + e.getMessage() + ")");
        }
        if (!attributes.isRegularFile()) {
            throw failure(file + ": is " + kind(file, attributes) + ", not a regular file; expected a JSON configuration file");
        }
        if (attributes.size() > MAX_FILE_BYTES) {
            throw tooLarge(file, attributes.size() + " bytes");
        }
        byte[] bytes = readBounded(file, timeout);
        if (bytes.length > MAX_FILE_BYTES) {
            throw tooLarge(file, "more than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw failure(file + ": not UTF-8 text; expected a JSON file in UTF-8");
        }
    }

    private static ConfigException tooLarge(Path file, String size) {
        return failure(file + ": " + size + "; expected a JSON configuration file of at most " + MAX_FILE_BYTES
                + " bytes (16 MiB)");
    }

    /**
     * At most {@code MAX_FILE_BYTES + 1} bytes of {@code file}, read on a daemon thread of its own:
     * a read that never returns holds that thread, never the caller's, and never keeps the JVM from
     * exiting.
     */
    static byte[] readBounded(Path file, Duration timeout) throws ConfigException {
        FutureTask<byte[]> task = new FutureTask<>(() -> {
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes(MAX_FILE_BYTES + 1);
            }
        });
        Thread reader = new Thread(task, "stevedore-config-read");
        reader.setDaemon(true);
        reader.start();
        try {
            return task.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            reader.interrupt();
            throw failure(file + ": not read within " + timeout.toMillis() + " ms (does reading it block, like a"
                    + " FIFO's?); expected a regular file");
        } catch (InterruptedException e) {
            reader.interrupt();
            Thread.currentThread().interrupt();
            throw failure(file + ": reading interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NoSuchFileException) {
                throw failure(file + ": no such file");
            }
            if (cause instanceof AccessDeniedException) {
                throw failure(file + ": permission denied");
            }
            throw failure(file + ": cannot be read (" + cause.getMessage() + ")");
        }
    }

    /**
     * What a path that is not a regular file is, in the words of {@code ls -l}. The file type is
     * in the "unix" view's mode where the JDK offers it (Linux does); elsewhere the basic view only
     * tells a directory from "something else".
     */
    private static String kind(Path file, BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        try {
            int type = (Integer) Files.getAttribute(file, "unix:mode") & 0170000;
            switch (type) {
                case 0010000:
                    return "a FIFO (named pipe)";
                case 0020000:
                    return "a character device";
                case 0060000:
                    return "a block device";
                case 0140000:
                    return "a socket";
                default:
                    break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // No unix view here: the generic name below still says what matters.
        }
        return "a special file";
    }

    /** Loads a configuration from its text, as {@link #load} does from a file. */
    public static LoadedConfig parse(String json) throws ConfigException {
        JsonNode root;
        try (JsonParser parser = MAPPER.createParser(json)) {
            try {
                root = MAPPER.readTree(parser);
            } catch (StreamConstraintsException e) {
                // Jackson's limits (nesting depth, number length) carry no location and name its API.
                throw failure(malformed(parser.currentLocation(), tooLarge(e)));
            } catch (JacksonException e) {
                throw failure(malformed(e.getLocation(), e.getOriginalMessage()));
            }
        } catch (IOException e) {
            // Reading a String fails only through the parser, handled above; closing it cannot fail.
            throw new IllegalStateException(e);
        }
        if (root == null || root.isMissingNode()) {
            throw failure("the file is empty; expected a JSON object with at least an Upload section");
        }
        if (!root.isObject()) {
            throw failure("the file holds " + Section.render(root)
                    + ", not an object; expected a JSON object with at least an Upload section");
        }
        Problems problems = new Problems();
        StevedoreConfig config = new ConfigBinder(problems).bind((ObjectNode) root);
        if (config == null) {
            throw new ConfigException(problems.errors(), problems.warnings(), problems.omitted());
        }
        return new LoadedConfig(config, problems.warnings(), problems.notes(), problems.omitted());
    }

    private static String tooLarge(StreamConstraintsException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.contains("nesting depth")) {
            int limit = MAPPER.getFactory().streamReadConstraints().getMaxNestingDepth();
            return "arrays or objects nested more than " + limit
                    + " levels deep; expected a configuration a few levels deep";
        }
        // Number and string lengths: Jackson's message says what was too long and its limit.
        return message.replaceAll(", from `StreamReadConstraints[^`]*`", "");
    }

    private static String malformed(JsonLocation where, String message) {
        String what = Section.printable(String.valueOf(message).replaceAll("\\s+", " ").trim());
        if (where == null || where.getLineNr() < 1) {
            return "malformed JSON: " + what;
        }
        return "malformed JSON at line " + where.getLineNr() + ", column " + where.getColumnNr() + ": " + what;
    }

    private static ConfigException failure(String message) {
        return new ConfigException(List.of(message), List.of());
    }
}
