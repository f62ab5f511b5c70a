package io.stevedore.cli;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The promise that SIGTERM ends the process within 2 s, kept whatever the orderly stop is waiting
 * on (a stuck event loop, a shutdown hook, a thread blocked in a system call): armed by the signal,
 * it halts the JVM with exit code 0 when the stop has not ended the process by its deadline. An
 * orderly stop that finishes first ends the JVM, and this daemon thread with it.
 */
final class StopWatchdog {

    private static final Logger log = LoggerFactory.getLogger(StopWatchdog.class);

    /** Leaves half a second of the 2 s for the JVM to exit after the halt. */
    static final Duration LIMIT = Duration.ofMillis(1500);
    private static final long LOG_GRACE_MILLIS = 100;

    private final Duration limit;
    private final Runnable halt;
    private final AtomicBoolean armed = new AtomicBoolean();

    StopWatchdog(Duration limit, Runnable halt) {
        this.limit = limit;
        this.halt = halt;
    }

    /** The watchdog of the real process: {@link Runtime#halt} skips hooks that might be what hangs. */
    static StopWatchdog forThisProcess() {
        return new StopWatchdog(LIMIT, () -> Runtime.getRuntime().halt(Main.OK));
    }

    /** Starts the countdown; a second signal does not restart it. Returns at once. */
    void arm() {
        if (!armed.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        Thread thread = new Thread(() -> {
            for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            sayWhy();
            halt.run();
        }, "stevedore-stop-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Logs why the process halts, waiting at most {@link #LOG_GRACE_MILLIS} for it: what holds up
     * the stop may be the log itself (a full stderr pipe, a stalled disk), and the halt must not
     * wait on it.
     */
    private void sayWhy() {
        Thread say = new Thread(() -> log.warn("the orderly stop has not finished within {} ms; halting",
                limit.toMillis()), "stevedore-stop-watchdog-log");
        say.setDaemon(true);
        say.start();
        try {
            say.join(LOG_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
