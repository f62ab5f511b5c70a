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
}
