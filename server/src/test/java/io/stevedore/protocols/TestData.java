package io.stevedore.protocols;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic test content and its digests: the same name and size always give the same bytes. */
final class TestData {

    private TestData() {
    }

    static byte[] bytes(String seed, int size) {
        byte[] data = new byte[size];
        new SplittableRandom(seed.hashCode() * 31L + size).nextBytes(data);
        return data;
    }

    static Path writeFile(Path dir, String name, int size) throws IOException {
        return Files.write(dir.resolve(name), bytes(name, size));
    }

    static String sha256(byte[] data) {
        MessageDigest digest = newSha256();
        digest.update(data);
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = newSha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
