package io.stevedore.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** Waiting for a condition by polling it up to a deadline: tests never sleep a fixed time. */
public final class Poll {

    /** Long enough for anything on loopback on a loaded two-core machine. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final long INTERVAL_MILLIS = 5;

    private Poll() {
    }

    public static void until(String what, BooleanSupplier condition) {
        until(DEFAULT_TIMEOUT, what, condition);
    }

    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, what, condition, () -> "");
    }

    /** Polls {@code condition} until it holds; at the deadline fails naming {@code what} and {@code detail}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> detail) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                String more = detail.get();
                fail("not within " + timeout.toMillis() + " ms: " + what + (more.isEmpty() ? "" : "\n" + more));
            }
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for: " + what);
            }
        }
    }

    /** Polls until {@code actual} reads {@code expected}; at the deadline fails with the last value read. */
    public static void equal(String what, long expected, LongSupplier actual) {
        long[] last = new long[1];
        until(DEFAULT_TIMEOUT, what + " = " + expected, () -> (last[0] = actual.getAsLong()) == expected,
                () -> what + " is " + last[0]);
    }
}
