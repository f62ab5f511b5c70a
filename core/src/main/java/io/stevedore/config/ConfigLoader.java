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
import java.util.List;

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

    private ConfigLoader() {
    }

    /** Loads {@code file}; every error of the file is in the exception, one line each. */
    public static LoadedConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = read(file);
        } catch (NoSuchFileException e) {
            throw failure(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw failure(file + ": permission denied");
        } catch (CharacterCodingException e) {
            throw failure(file + ": not UTF-8 text; expected a JSON file in UTF-8");
        } catch (IOException e) {
            throw failure(file + ": cannot be read (" + e.getMessage() + ")");
        }
        return parse(text);
    }

    /**
     * The file as UTF-8 text, read no further than {@link #MAX_FILE_BYTES}: a path naming a huge
     * file or a device must end in an error, not exhaust the heap.
     */
    private static String read(Path file) throws IOException, ConfigException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw failure(file + ": more than " + MAX_FILE_BYTES + " bytes; expected a JSON configuration file"
                    + " (a few kilobytes)");
        }
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
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
            throw new ConfigException(problems.errors(), problems.warnings());
        }
        return new LoadedConfig(config, problems.warnings(), problems.notes());
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
