package io.stevedore.config;

/** The {@code Log} section. An empty {@code path} logs to the console. */
public record LogConfig(String path, String level, boolean verbose, int maxAgeHour, int rotationTimeHour) {

    public static final String DEFAULT_LEVEL = "info";
    public static final int DEFAULT_MAX_AGE_HOUR = 24 * 7;
    public static final int DEFAULT_ROTATION_TIME_HOUR = 24;
}
