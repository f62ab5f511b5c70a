package io.stevedore.config;

import java.util.List;

/**
 * A valid configuration and what the loader has to say about it. {@code warnings} are probable
 * mistakes that do not stop the file from working (an unknown key, a setting that has no
 * effect); {@code notes} state consequences worth knowing (a route that drops, a knob of the Go
 * original that does not apply here).
 */
public record LoadedConfig(StevedoreConfig config, List<String> warnings, List<String> notes) {

    public LoadedConfig {
        warnings = List.copyOf(warnings);
        notes = List.copyOf(notes);
    }
}
