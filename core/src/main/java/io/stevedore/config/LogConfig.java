package io.stevedore.config;

/**
 * The {@code Log} section. An empty {@code path} logs to the console; an empty {@code accessPath}
 * writes no access log.
 */
public record LogConfig(String path, String level, boolean verbose, int maxAgeHour, int rotationTimeHour,
        String accessPath) {

    static final Keys KEYS = new Keys();
    static final String PATH = KEYS.key("Path");
    static final String LEVEL = KEYS.key("Level");
    static final BoolKey VERBOSE = KEYS.bool("Verbose", false);
    public static final IntKey MAX_AGE_HOUR = KEYS.integer("MaxAgeHour", 24 * 7, 1, Integer.MAX_VALUE);
    public static final IntKey ROTATION_TIME_HOUR = KEYS.integer("RotationTimeHour", 24, 1, Integer.MAX_VALUE);
    static final String ACCESS_PATH = KEYS.key("AccessPath");
    public static final String DEFAULT_LEVEL = "info";

    /** A section without an access log. */
    public LogConfig(String path, String level, boolean verbose, int maxAgeHour, int rotationTimeHour) {
        this(path, level, verbose, maxAgeHour, rotationTimeHour, "");
    }
}
