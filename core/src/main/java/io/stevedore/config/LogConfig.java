package io.stevedore.config;

/** The {@code Log} section. An empty {@code path} logs to the console. */
public record LogConfig(String path, String level, boolean verbose, int maxAgeHour, int rotationTimeHour) {

    static final Keys KEYS = new Keys();
    static final String PATH = KEYS.key("Path");
    static final String LEVEL = KEYS.key("Level");
    static final BoolKey VERBOSE = KEYS.bool("Verbose", false);
    public static final IntKey MAX_AGE_HOUR = KEYS.integer("MaxAgeHour", 24 * 7, 1, Integer.MAX_VALUE);
    public static final IntKey ROTATION_TIME_HOUR = KEYS.integer("RotationTimeHour", 24, 1, Integer.MAX_VALUE);
    public static final String DEFAULT_LEVEL = "info";
}
