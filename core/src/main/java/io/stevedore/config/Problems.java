package io.stevedore.config;

import java.util.ArrayList;
import java.util.List;

/**
 * What the binder found wrong or worth saying about a file, in document order. Errors make the
 * file invalid; warnings and notes are shown by {@code -t} and logged at startup.
 *
 * <p>Errors and warnings together are kept up to {@link #MAX_REPORTED}; the rest are only
 * counted. A file of a hundred thousand typos then costs a screenful, not a hundred thousand
 * lines, and the first fifty are what an operator fixes first anyway.
 */
final class Problems {

    static final int MAX_REPORTED = 50;

    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private int errorCount;
    private int omitted;

    void error(String message) {
        errorCount++;
        keep(errors, message);
    }

    void warning(String message) {
        keep(warnings, message);
    }

    void note(String message) {
        notes.add(message);
    }

    private void keep(List<String> list, String message) {
        if (errors.size() + warnings.size() < MAX_REPORTED) {
            list.add(message);
        } else {
            omitted++;
        }
    }

    /** Counts the errors left out too: one of them is enough to make the file invalid. */
    boolean hasErrors() {
        return errorCount > 0;
    }

    /** Errors so far, left-out ones included: a section compares it before and after reading itself. */
    int errorCount() {
        return errorCount;
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

    /** Errors and warnings beyond {@link #MAX_REPORTED}, counted and not kept. */
    int omitted() {
        return omitted;
    }
}
