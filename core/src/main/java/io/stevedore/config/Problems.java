package io.stevedore.config;

import java.util.ArrayList;
import java.util.List;

/**
 * What the binder found wrong or worth saying about a file, in document order. Errors make the
 * file invalid; warnings and notes are shown by {@code -t} and logged at startup.
 */
final class Problems {

    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    void error(String message) {
        errors.add(message);
    }

    void warning(String message) {
        warnings.add(message);
    }

    void note(String message) {
        notes.add(message);
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    List<String> errors() {
        return List.copyOf(errors);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    List<String> notes() {
        return List.copyOf(notes);
    }
}
