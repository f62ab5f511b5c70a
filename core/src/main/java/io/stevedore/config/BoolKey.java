package io.stevedore.config;

/** A boolean key of a section (see {@link Keys}): its name as written and the value an absent key takes. */
record BoolKey(String name, boolean defaultValue) {
}
