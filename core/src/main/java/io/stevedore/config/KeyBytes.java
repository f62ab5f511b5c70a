package io.stevedore.config;

/** Payload bytes {@code [start, end)}, 0-based, as written {@code "start:end"}. */
public record KeyBytes(int start, int end) {

    public KeyBytes {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("KeyBytes needs 0 <= start < end, got " + start + ":" + end);
        }
    }

    public int length() {
        return end - start;
    }

    @Override
    public String toString() {
        return start + ":" + end;
    }
}
