package io.stevedore.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys of one section of the file, each declared once, beside the record the section binds
 * to: the strict check of unknown keys takes its list of names from here, and the binder reads
 * each value through the same declaration, so a key cannot be known under one spelling and read
 * under another. Declaration order is the order a message lists them in.
 */
final class Keys {

    private final List<String> names = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();

    /** A key whose value the binder reads with rules of its own (addresses, names, byte strings...). */
    String key(String name) {
        names.add(name);
        return name;
    }

    IntKey integer(String name, int defaultValue, int min, int max) {
        return integer(name, defaultValue, min, max, "an integer");
    }

    /** {@code noun} names what is expected in a message, e.g. "a port". */
    IntKey integer(String name, int defaultValue, int min, int max, String noun) {
        names.add(name);
        return new IntKey(name, defaultValue, min, max, noun);
    }

    BoolKey bool(String name, boolean defaultValue) {
        names.add(name);
        return new BoolKey(name, defaultValue);
    }

    /** A key of the Go original's schema that does not apply here: known, noted, never read. */
    String ignored(String name) {
        ignored.add(name);
        return key(name);
    }

    List<String> names() {
        return List.copyOf(names);
    }

    List<String> ignored() {
        return List.copyOf(ignored);
    }
}
