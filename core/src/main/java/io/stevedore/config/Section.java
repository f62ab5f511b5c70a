package io.stevedore.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One JSON object of the file seen through its schema: keys match case-insensitively (as Go's
 * encoding/json does), every value is read with its JSON path so a message can name it, and a key
 * the schema does not know is an error that names the nearest known one. A JSON {@code null} counts
 * as absent, as it does in Go. Typed getters record an error and return the default when the
 * value is wrong, so binding goes on and every error of the file is found in one pass.
 */
final class Section {

    /** Keys shown as written: letters, digits and punctuation that cannot be mistaken for a path's. */
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_$@#%&*+\\-]{1,60}");

    private final String path;
    private final Problems problems;
    /** Lower-cased key → value, for the keys the schema knows. */
    private final Map<String, JsonNode> values = new HashMap<>();

    private Section(ObjectNode node, String path, Problems problems, Keys keys) {
        List<String> knownKeys = keys.names();
        this.path = path;
        this.problems = problems;
        Map<String, String> known = new LinkedHashMap<>();
        for (String key : knownKeys) {
            known.put(lower(key), key);
        }
        Map<String, String> spelling = new HashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String written = field.getKey();
            String key = lower(written);
            String canonical = known.get(key);
            if (canonical == null) {
                // A typo must not pass -t: a misspelt DefaultUpstream would leave unmatched datagrams dropped.
                problems.error(join(path, displayKey(written)) + ": unknown key, did you mean \""
                        + nearest(key, knownKeys) + "\"?");
                continue;
            }
            String earlier = spelling.putIfAbsent(key, written);
            if (earlier != null) {
                // Go would silently keep the last one; two spellings of one key are a slip worth stopping for.
                problems.error(join(path, canonical) + ": set twice, as \"" + earlier + "\" and \"" + written
                        + "\"; expected the key once");
                continue;
            }
            values.put(key, field.getValue());
        }
    }

    static Section of(ObjectNode node, String path, Problems problems, Keys keys) {
        return new Section(node, path, problems, keys);
    }

    /** A section of no keys: binding it yields every default. */
    static Section empty(String path, Problems problems, Keys keys) {
        return new Section(JsonNodeFactory.instance.objectNode(), path, problems, keys);
    }

    String path() {
        return path;
    }

    String pathOf(String key) {
        return join(path, key);
    }

    boolean has(String key) {
        return get(key) != null;
    }

    /** The value of {@code key}, or null when it is absent or JSON null. */
    JsonNode get(String key) {
        JsonNode node = values.get(lower(key));
        return node == null || node.isNull() ? null : node;
    }

    /** Records {@code path.key: <value> <problem>}. */
    void error(String key, String problem) {
        problems.error(pathOf(key) + ": " + render(get(key)) + " " + problem);
    }

    /** Records {@code path.key: <message>}, for a problem that is not about the value as written. */
    void errorAt(String key, String message) {
        problems.error(pathOf(key) + ": " + message);
    }

    /** The value of {@code key}: its default when absent, and when invalid too (with an error). */
    int integer(IntKey key) {
        JsonNode node = get(key.name());
        if (node == null) {
            return key.defaultValue();
        }
        String expected = "expected " + key.noun() + (key.max() == Integer.MAX_VALUE
                ? " of at least " + key.min()
                : " from " + key.min() + " to " + key.max());
        if (!node.isIntegralNumber()) {
            error(key.name(), "is not an integer; " + expected);
            return key.defaultValue();
        }
        if (!node.canConvertToInt() || node.intValue() < key.min() || node.intValue() > key.max()) {
            error(key.name(), "is out of range; " + expected);
            return key.defaultValue();
        }
        return node.intValue();
    }

    /** The value of {@code key}: its default when absent, and when not a boolean too (with an error). */
    boolean bool(BoolKey key) {
        JsonNode node = get(key.name());
        if (node == null) {
            return key.defaultValue();
        }
        if (!node.isBoolean()) {
            error(key.name(), "is not a boolean; expected true or false");
            return key.defaultValue();
        }
        return node.booleanValue();
    }

    /** The string at {@code key}; absent or not a string gives empty (the latter with an error). */
    Optional<String> string(String key, String expected) {
        JsonNode node = get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            error(key, "is not a string; expected " + expected);
            return Optional.empty();
        }
        return Optional.of(node.textValue());
    }

    /** The object at {@code key} as a section; absent gives an empty section, not an object an error. */
    Section section(String key, Keys keys) {
        return optionalSection(key, keys).orElseGet(() -> empty(pathOf(key), problems, keys));
    }

    Optional<Section> optionalSection(String key, Keys keys) {
        JsonNode node = get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            error(key, "is not an object; expected { ... } with the keys " + String.join(", ", keys.names()));
            return Optional.empty();
        }
        return Optional.of(of((ObjectNode) node, pathOf(key), problems, keys));
    }

    /**
     * The objects of the array at {@code key}, each as a section at {@code key[i]}. Absent gives an
     * empty list; a non-object element is an error and left out, so indexes of the rest stay true.
     */
    List<Indexed> objects(String key, Keys keys) {
        JsonNode node = get(key);
        List<Indexed> result = new ArrayList<>();
        if (node == null) {
            return result;
        }
        if (!node.isArray()) {
            error(key, "is not an array; expected [ { ... }, ... ]");
            return result;
        }
        for (int i = 0; i < node.size(); i++) {
            String elementPath = pathOf(key) + "[" + i + "]";
            JsonNode element = node.get(i);
            if (element.isObject()) {
                result.add(new Indexed(i, of((ObjectNode) element, elementPath, problems, keys)));
            } else {
                problems.error(elementPath + ": " + render(element) + " is not an object; expected { ... } with the keys "
                        + String.join(", ", keys.names()));
            }
        }
        return result;
    }

    /** An element of an array of objects, with its position in the file's array. */
    record Indexed(int index, Section section) {
    }

    /** A JSON value as written, shortened so one bad value cannot flood a message. */
    static String render(JsonNode node) {
        String text = node == null ? "null" : node.toString();
        // JSON escapes control characters but not U+2028 and U+2029, which break a line too.
        return printable(text.length() > 60 ? text.substring(0, 57) + "..." : text);
    }

    /**
     * A key as written, for a message: as is when it is short and plain, else quoted and shortened,
     * so a key with a line break or of any length still makes one readable line.
     */
    static String displayKey(String written) {
        return PLAIN_KEY.matcher(written).matches() ? written : quote(written);
    }

    /**
     * {@code text} with every control character and line or paragraph separator written as
     * {@code \\uXXXX}: a message quoting what a file holds stays on one line.
     */
    static String printable(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean breaks = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (breaks && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                out.append(breaks ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out == null ? text : out.toString();
    }

    static String quote(String text) {
        return render(JsonNodeFactory.instance.textNode(text));
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String lower(String key) {
        return key.toLowerCase(Locale.ROOT);
    }

    /**
     * The known key closest to {@code key} (lower case). A key cut short ({@code "MaxAge"} for
     * {@code MaxAgeHour}) is far by edit distance from what it abbreviates, so the shortest known key
     * it begins wins first.
     */
    private static String nearest(String key, List<String> knownKeys) {
        String begun = null;
        for (String candidate : knownKeys) {
            if (key.length() >= 3 && lower(candidate).startsWith(key)
                    && (begun == null || candidate.length() < begun.length())) {
                begun = candidate;
            }
        }
        if (begun != null) {
            return begun;
        }
        String best = knownKeys.get(0);
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : knownKeys) {
            int distance = editDistance(key, lower(candidate));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions each cost one. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
