package io.stevedore.config;

import java.util.Optional;

/**
 * A whole, validated configuration: what the loader hands to every other part. Immutable, so a
 * reload can build a new one beside the running one and swap it in.
 */
public record StevedoreConfig(
        ServerConfig server,
        SessionConfig session,
        UploadConfig upload,
        LogConfig log,
        Optional<AdminConfig> admin) {

    /** The file's top level: the Go original's sections, and Admin. */
    static final Keys KEYS = new Keys();
    static final String SERVER = KEYS.key("Server");
    static final String SESSION = KEYS.key("Session");
    static final String UPLOAD = KEYS.key("Upload");
    static final String LOG = KEYS.key("Log");
    static final String PPROF = KEYS.key("PProf");
    static final String ADMIN = KEYS.key("Admin");
}
