package io.stevedore.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A configuration file that cannot be used. Carries the errors of the file (one line each, naming
 * the JSON path, the bad value and what was expected) and the warnings found on the way, at most
 * {@value Problems#MAX_REPORTED} lines of both, with the count of those left out. It has no stack
 * trace: the messages are the whole story.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> errors;
    private final List<String> warnings;
    private final int omitted;

    public ConfigException(List<String> errors, List<String> warnings) {
        this(errors, warnings, 0);
    }

    public ConfigException(List<String> errors, List<String> warnings, int omitted) {
        super(message(errors, omitted), null, false, false);
        this.errors = List.copyOf(errors);
        this.warnings = List.copyOf(warnings);
        this.omitted = omitted;
    }

    private static String message(List<String> errors, int omitted) {
        List<String> lines = new ArrayList<>(errors);
        if (omitted > 0) {
            lines.add(more(omitted));
        }
        return String.join(System.lineSeparator(), lines);
    }

    /** The line that stands for {@code omitted} problems not shown: {@code … and 12 more}. */
    public static String more(int omitted) {
        return "\u2026 and " + omitted + " more";
    }

    public List<String> errors() {
        return errors;
    }

    public List<String> warnings() {
        return warnings;
    }

    /** Errors and warnings of the file beyond those in {@link #errors()} and {@link #warnings()}. */
    public int omitted() {
        return omitted;
    }
}
