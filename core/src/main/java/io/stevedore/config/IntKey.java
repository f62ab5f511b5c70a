package io.stevedore.config;

/**
 * An integer key of a section (see {@link Keys}): its name as written, the value an absent key
 * takes, and the range a present one must fall in ({@link Integer#MAX_VALUE} as {@code max}
 * reads as "at least {@code min}").
 */
public record IntKey(String name, int defaultValue, int min, int max, String noun) {
}
