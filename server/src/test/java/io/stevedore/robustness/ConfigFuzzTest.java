package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.LoadedConfig;
import io.stevedore.testing.SeedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Thousands of damaged configuration files, made from the example and the seed's files by seeded
 * random mutations. Whatever the damage, loading either succeeds or fails with messages an
 * operator can act on: every error names a JSON path, or says the JSON is malformed and where.
 * Nothing else escapes: no other exception, no stack overflow, no message spread over lines.
 */
class ConfigFuzzTest {

    private static final long SEED = 20261126L;
    private static final int MUTANTS_PER_FILE = 1500;

    /**
     * A JSON path of the schema, then ':' or ' ' ("Upload.Routes[1].Value: ...", "Upload: missing");
     * an unknown key in it may be quoted, as it was written.
     */
    private static final Pattern PATH_FIRST = Pattern.compile(
            "^(Server|Session|Upload|Log|PProf|Admin)(\\.(\"(?:[^\"\\\\]|\\\\.)*+\"|[^.\\[:\\s]+)|\\[\\d+])*[: ].*");
    /** An unknown key at the top of the file: its path is the key itself, as written or quoted. */
    private static final Pattern UNKNOWN_AT_TOP = Pattern.compile(
            "^(\"(?:[^\"\\\\]|\\\\.)*+\"|[^.\\[:\\s\"]+): unknown key, did you mean \"[A-Za-z]+\"\\?$");
    /** The messages about the file as a whole, which has no path to name. */
    private static final Pattern WHOLE_FILE = Pattern.compile(
            "^(malformed JSON at line \\d+, column \\d+: .+"
                    + "|the file is empty; expected a JSON object with at least an Upload section"
                    + "|the file holds .+, not an object; expected a JSON object with at least an Upload section)$");

    /** A JSON value after a key: a string, a number or a literal. */
    private static final Pattern VALUE = Pattern.compile(
            ":\\s*(\"(?:[^\"\\\\]++|\\\\.)*+\"|-?\\d[\\d.eE+-]*|true|false|null|\\[\\s*]|\\{\\s*})");

    /** Values of the wrong type or of hostile content, in place of any value. */
    private static final List<String> HOSTILE_VALUES = List.of(
            "null", "true", "[]", "{}", "\"\"", "0", "-1", "1.5", "1e999999", "-0", "2147483648",
            "1" + "0".repeat(400), "9".repeat(2000), "-99999999999999999999", "0.0000000000001", "\"0x\"", "\"0b\"",
            "\"0x" + "f".repeat(5000) + "\"", "\"99999999999999999999999999\"", "\"::\"", "\"[::1]:99999\"",
            "\"[]:1\"", "\"[::1\"", "\":\"", "\"1:2:3\"", "\"4:6:\"", "\"-0:1\"", "\"0:0\"", "\"9:3\"",
            "\"2147483647:2147483648\"", "\"0:999999999\"", "\"\\u0000\"", "\"\\ud800\"", "\"0x\\u0663\"",
            "\"\\uff10x1\"", "\"%\"", "\"\\\\\"", "\"\\n\\r\\t\"", "\"x".repeat(1) + "\u00e9\u00e9\"",
            "\"\ud83d\ude00\"", "\"\u202e\"", "\"\ufeff\"", "\"1.2.3.4.5\"", "\"256.0.0.1\"", "\"::ffff:1.2.3.4\"",
            "\"fe80::1%eth0\"", "\"0x0001\"", "\"65536\"", "\"CHASH\"", "\"Session\"", "\"!==\"", "\"<=\"",
            "[1,2,3]", "{\"IP\":\"127.0.0.2\",\"Port\":1}", "[{}]", "[null]", "[[]]", "\"" + "a".repeat(70_000) + "\"");

    private static final List<String> UNICODE = List.of(
            "\u0000", "\u00e9", "\ud83d\ude00", "\ufeff", "\u202e", "\uff11\uff12", "\u0663", "\ud800", "\udc00",
            "\u2028", "\u00a0", "\r", "\n", "\t", "\\", "\"", "\u0130", "\u017f");

    private static final List<String> TOKENS = List.of(
            "{", "}", "[", "]", ",", ":", "\"", "/*", "*/", "//", "\"Upload\":", "\"Peers\":[", "null", "-", "e");

    @Test
    void everyDamagedConfigurationLoadsOrFailsWithPathNamedErrors() throws IOException {
        Random random = new Random(SEED);
        int checked = 0;
        int valid = 0;
        for (Path source : sources()) {
            String original = Files.readString(source);
            for (int cut = 97; cut < original.length(); cut += 97) {
                check(source + " cut after " + cut + " characters", original.substring(0, cut));
                checked++;
            }
            for (int i = 0; i < MUTANTS_PER_FILE; i++) {
                String text = original;
                StringBuilder how = new StringBuilder();
                int mutations = 1 + random.nextInt(3);
                for (int m = 0; m < mutations; m++) {
                    text = mutate(text, random, how);
                }
                valid += check(source + " mutant " + i + " (" + how + ")", text) ? 1 : 0;
                checked++;
            }
        }
        assertThat(checked).as("damaged files checked").isGreaterThan(4000);
        // A fuzzer that only ever breaks the JSON would never reach the binder's checks.
        assertThat(valid).as("mutants still valid (the binder was reached)").isGreaterThan(100);
    }

    @Test
    void everyHostileValueInEveryPlaceOfTheExampleLoadsOrFailsWithPathNamedErrors() throws IOException {
        String example = Files.readString(Path.of("etc/stevedore.json"));
        List<int[]> places = new ArrayList<>();
        Matcher m = VALUE.matcher(example);
        while (m.find()) {
            places.add(new int[] {m.start(1), m.end(1)});
        }
        assertThat(places).as("values in etc/stevedore.json").hasSizeGreaterThan(40);
        for (int[] place : places) {
            for (String hostile : HOSTILE_VALUES) {
                check("etc/stevedore.json with " + abbreviate(example.substring(place[0], place[1])) + " at "
                        + place[0] + " replaced by " + abbreviate(hostile),
                        example.substring(0, place[0]) + hostile + example.substring(place[1]));
            }
        }
    }

    @Test
    void deepNestingAnywhereIsAnErrorNotAStackOverflow() {
        for (int depth : new int[] {10, 400, 999, 1000, 1001, 5000, 100_000}) {
            String arrays = "[".repeat(depth) + "]".repeat(depth);
            String objects = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
            check("arrays " + depth + " deep as the file", arrays);
            check("arrays " + depth + " deep as Server.BufSize", "{\"Server\":{\"BufSize\":" + arrays + "}}");
            check("objects " + depth + " deep as Upload", "{\"Upload\":" + objects + "}");
            check("objects " + depth + " deep as an unknown key", "{\"Nope\":" + objects + "}");
            check("unclosed " + depth + " deep", "{\"Upload\":" + "[".repeat(depth));
        }
    }

    @Test
    void keysWithLineBreaksOrOfAnyLengthGiveOneLineMessages() {
        String longKey = "K".repeat(100_000);
        for (String key : List.of("Up\\nload", "Server\\r\\nBufSize", "\\u2028", longKey, "", "\\u0000")) {
            check("unknown key \"" + abbreviate(key) + "\"", "{\"" + key + "\": 1, \"Upload\": {}}");
            check("unknown key \"" + abbreviate(key) + "\" in Server",
                    "{\"Server\": {\"" + key + "\": 1}, \"Upload\": {}}");
            check("a key set twice", "{\"Upload\": {}, \"UPLOAD\": {}, \"" + key + "\": 1}");
        }
        check("a key set twice in different case with a line break", "{\"Upload\": {}, \"upload\": 1}");
    }

    @Test
    void whatTheFuzzFoundStaysFixed() {
        assertThat(errorsOf("[".repeat(5000)))
                .as("a file nested too deep says where and why, in the operator's words")
                .containsExactly("malformed JSON at line 1, column 1002: arrays or objects nested more than 1000 levels"
                        + " deep; expected a configuration a few levels deep");
        assertThat(errorsOf("{\"Server\": {\"BufSize\": " + "9".repeat(2000) + "}}"))
                .as("a number too long to read says where, without naming the parser's API")
                .singleElement().asString().startsWith("malformed JSON at line 1, column ")
                .contains("Number value length").doesNotContain("StreamReadConstraints");
        assertThat(errorsOf("{\"Upload\": \u2028}"))
                .as("a line separator in malformed JSON is shown escaped, on the error's one line")
                .singleElement().asString().startsWith("malformed JSON at line 1, column 12: ").contains("\\u2028")
                .doesNotContain("\u2028");
        String route = "{\"Upload\": {\"Upstreams\": [{\"Name\": \"a\", \"Type\": \"rr\", "
                + "\"Peers\": [{\"IP\": \"127.0.0.2\", \"Port\": 1}]}], "
                + "\"Routes\": [{\"KeyBytes\": \"0:1\", \"Operator\": \"==\", \"Value\": \"0x\u0663\","
                + " \"Upstream\": \"a\"}]}}";
        assertThat(errorsOf(route)).as("a hex Value takes ASCII digits only, not ARABIC-INDIC DIGIT THREE")
                .containsExactly("Upload.Routes[0].Value: \"0x\u0663\" is not a hex number; expected 0x followed by"
                        + " the digits 0-9 and a-f");
    }

    private static List<String> errorsOf(String text) {
        try {
            ConfigLoader.parse(text);
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected " + abbreviate(text) + " to be invalid");
    }

    /** The example and the seed's files; their 10.0.0.x peers are only parsed, never contacted. */
    private static List<Path> sources() {
        return List.of(Path.of("etc/stevedore.json"), SeedFiles.path("kcp-conversation.json"),
                SeedFiles.path("protocol-version.json"));
    }

    private static String mutate(String text, Random random, StringBuilder how) {
        if (text.isEmpty()) {
            how.append("emptied; ");
            return text;
        }
        int at = random.nextInt(text.length());
        switch (random.nextInt(8)) {
            case 0 -> {
                how.append("deleted char ").append(at).append("; ");
                return text.substring(0, at) + text.substring(at + 1);
            }
            case 1 -> {
                int length = 1 + random.nextInt(Math.min(40, text.length() - at));
                how.append("duplicated ").append(length).append(" chars at ").append(at).append("; ");
                return text.substring(0, at + length) + text.substring(at, text.length());
            }
            case 2 -> {
                String token = TOKENS.get(random.nextInt(TOKENS.size()));
                how.append("inserted token ").append(token).append(" at ").append(at).append("; ");
                return text.substring(0, at) + token + text.substring(at);
            }
            case 3 -> {
                String unicode = UNICODE.get(random.nextInt(UNICODE.size()));
                how.append("inserted U+").append(Integer.toHexString(unicode.charAt(0))).append(" at ")
                        .append(at).append("; ");
                return text.substring(0, at) + unicode + text.substring(at);
            }
            case 4 -> {
                how.append("truncated at ").append(at).append("; ");
                return text.substring(0, at);
            }
            case 5 -> {
                int depth = 1 + random.nextInt(3000);
                return replaceValue(text, random, "[".repeat(depth) + "]".repeat(depth), how);
            }
            default -> {
                return replaceValue(text, random, HOSTILE_VALUES.get(random.nextInt(HOSTILE_VALUES.size())), how);
            }
        }
    }

    private static String replaceValue(String text, Random random, String replacement, StringBuilder how) {
        List<int[]> values = new ArrayList<>();
        Matcher m = VALUE.matcher(text);
        while (m.find()) {
            values.add(new int[] {m.start(1), m.end(1)});
        }
        if (values.isEmpty()) {
            how.append("no value to replace; ");
            return text;
        }
        int[] value = values.get(random.nextInt(values.size()));
        how.append("value ").append(abbreviate(text.substring(value[0], value[1]))).append(" -> ")
                .append(abbreviate(replacement)).append("; ");
        return text.substring(0, value[0]) + replacement + text.substring(value[1]);
    }

    private static String abbreviate(String s) {
        return s.length() > 30 ? s.substring(0, 27) + "..." : s;
    }

    /** Loads {@code text}; true when it is valid. Fails on anything an operator could not act on. */
    private static boolean check(String what, String text) {
        try {
            LoadedConfig loaded = ConfigLoader.parse(text);
            for (String line : loaded.warnings()) {
                assertOneLine(what, "warning", line);
            }
            for (String line : loaded.notes()) {
                assertOneLine(what, "note", line);
            }
            return true;
        } catch (ConfigException e) {
            assertThat(e.errors()).as("errors of " + what).isNotEmpty();
            for (String line : e.errors()) {
                assertOneLine(what, "error", line);
                if (!PATH_FIRST.matcher(line).matches() && !WHOLE_FILE.matcher(line).matches()
                        && !UNKNOWN_AT_TOP.matcher(line).matches()) {
                    fail("error of " + what + " names no JSON path and is not a malformed-JSON message: " + line);
                }
            }
            for (String line : e.warnings()) {
                assertOneLine(what, "warning", line);
            }
            return false;
        } catch (Throwable t) {
            throw new AssertionError("loading " + what + " threw " + t + " instead of a ConfigException", t);
        }
    }

    private static void assertOneLine(String what, String kind, String line) {
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.indexOf('\u2028') >= 0) {
            fail(kind + " of " + what + " spreads over several lines: " + line);
        }
        assertThat(line.length()).as(kind + " of " + what + " stays readable: " + abbreviate(line))
                .isLessThan(1000);
    }
}
