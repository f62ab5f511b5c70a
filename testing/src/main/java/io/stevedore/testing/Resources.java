package io.stevedore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resources of this module that a test needs as files. A reactor build past {@code package} puts
 * this module's jar on the other modules' test class path, not its classes directory: a resource
 * read from the jar is copied, under its own name, into a temporary directory of this JVM.
 */
public final class Resources {

    private static Path copies;

    private Resources() {
    }

    /** The resource {@code /DIR/NAME} as a file named NAME. */
    public static Path path(String resource) {
        URL url = Resources.class.getResource(resource);
        if (url == null) {
            throw new IllegalArgumentException("no resource " + resource + " on the class path");
        }
        try {
            return "file".equals(url.getProtocol()) ? Path.of(url.toURI()) : copy(url);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + url, e);
        }
    }

    private static synchronized Path copy(URL url) throws IOException {
        if (copies == null) {
            copies = Files.createTempDirectory("stevedore-resources");
            copies.toFile().deleteOnExit();
        }
        String path = url.getPath();
        Path file = copies.resolve(path.substring(path.lastIndexOf('/') + 1));
        if (!Files.exists(file)) {
            try (InputStream in = url.openStream()) {
                Files.copy(in, file);
            }
            file.toFile().deleteOnExit();
        }
        return file;
    }
}
