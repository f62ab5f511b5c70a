package io.stevedore.transport;

import static org.assertj.core.api.Assertions.fail;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** Waits for a condition by polling up to a deadline: tests never sleep a fixed time. */
final class Await {

    static final long DEFAULT_MS = 5000;

    private Await() {
    }

    static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_MS, condition);
    }

    static void until(String what, long timeoutMs, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static void equal(String what, long expected, LongSupplier actual) {
        long deadline = System.nanoTime() + DEFAULT_MS * 1_000_000;
        long last;
        while ((last = actual.getAsLong()) != expected) {
            if (System.nanoTime() > deadline) {
                fail(what + " is " + last + ", expected " + expected + " (waited " + DEFAULT_MS + " ms)");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
