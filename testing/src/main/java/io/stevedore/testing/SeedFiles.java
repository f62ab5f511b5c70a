package io.stevedore.testing;

import java.nio.file.Path;

/** The seed's example configurations, copied into the test resources (their 10.0.0.x peers are never started). */
public final class SeedFiles {

    private SeedFiles() {
    }

    /** The file {@code /seed/NAME} on the test class path. */
    public static Path path(String name) {
        return Resources.path("/seed/" + name);
    }
}
