package io.stevedore.config;

import java.util.List;

/**
 * A valid configuration and what the loader has to say about it. {@code warnings} are probable
 * mistakes that do not stop the file from working (a setting that has no effect, a peer that takes
 * all the traffic); {@code notes} state consequences worth knowing (a route that drops, a knob of
 * the Go original that does not apply here). {@code omitted} counts the warnings beyond the
 * {@value Problems#MAX_REPORTED} kept.
 */
public record LoadedConfig(StevedoreConfig config, List<String> warnings, List<String> notes, int omitted) {

    public LoadedConfig {
        warnings = List.copyOf(warnings);
        notes = List.copyOf(notes);
    }
}
