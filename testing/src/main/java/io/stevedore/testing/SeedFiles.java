package io.stevedore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** The seed's example configurations, copied into the test resources (their 10.0.0.x peers are never started). */
public final class SeedFiles {

    /** Where the files are copied when they are read from this module's jar: one directory per JVM. */
    private static Path copies;

    private SeedFiles() {
    }

    /**
     * The file {@code /seed/NAME} on the test class path, as a file of the same name: the resource
     * itself from this module's classes directory, or a copy of it when the class path holds this
     * module's jar (a reactor build past {@code package}).
     */
    public static Path path(String name) {
        URL url = SeedFiles.class.getResource("/seed/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no seed file " + name);
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            return copy(name, url);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized Path copy(String name, URL url) throws IOException {
        if (copies == null) {
            copies = Files.createTempDirectory("stevedore-seed");
            copies.toFile().deleteOnExit();
        }
        Path file = copies.resolve(name);
        if (!Files.exists(file)) {
            try (InputStream in = url.openStream()) {
                Files.copy(in, file);
            }
            file.toFile().deleteOnExit();
        }
        return file;
    }
}
