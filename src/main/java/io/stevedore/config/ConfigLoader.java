package io.stevedore.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
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

    private ConfigLoader() {
    }

    /** Loads {@code file}; every error of the file is in the exception, one line each. */
    public static LoadedConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw failure(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw failure(file + ": permission denied");
        } catch (MalformedInputException e) {
            throw failure(file + ": not UTF-8 text; expected a JSON file in UTF-8");
        } catch (IOException e) {
            throw failure(file + ": cannot be read (" + e.getMessage() + ")");
        }
        return parse(text);
    }

    /** Loads a configuration from its text, as {@link #load} does from a file. */
    public static LoadedConfig parse(String json) throws ConfigException {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw failure(malformed(e));
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

    private static String malformed(JacksonException e) {
        JsonLocation where = e.getLocation();
        String what = e.getOriginalMessage().replaceAll("\\s+", " ").trim();
        if (where == null || where.getLineNr() < 1) {
            return "malformed JSON: " + what;
        }
        return "malformed JSON at line " + where.getLineNr() + ", column " + where.getColumnNr() + ": " + what;
    }

    private static ConfigException failure(String message) {
        return new ConfigException(List.of(message), List.of());
    }
}
