package io.stevedore.config;

import java.util.List;

/**
 * A configuration file that cannot be used. Carries every error of the file (one line each,
 * naming the JSON path, the bad value and what was expected) and the warnings found on the way,
 * since an unknown key often explains a missing one. It has no stack trace: the messages are
 * the whole story.
 */
public final class ConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<String> errors;
    private final List<String> warnings;

    public ConfigException(List<String> errors, List<String> warnings) {
        super(String.join(System.lineSeparator(), errors), null, false, false);
        this.errors = List.copyOf(errors);
        this.warnings = List.copyOf(warnings);
    }

    public List<String> errors() {
        return errors;
    }

    public List<String> warnings() {
        return warnings;
    }
}
