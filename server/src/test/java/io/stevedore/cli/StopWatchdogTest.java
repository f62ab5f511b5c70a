package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.Poll;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** The watchdog a stop signal arms: it halts once, at its deadline, however often it is armed. */
class StopWatchdogTest {

    @Test
    void itHaltsOnceAtTheDeadlineEvenWhenArmedTwice() {
        ConcurrentLinkedQueue<Long> halts = new ConcurrentLinkedQueue<>();
        Duration limit = Duration.ofMillis(200);
        StopWatchdog watchdog = new StopWatchdog(limit, () -> halts.add(System.nanoTime()));

        long armedAt = System.nanoTime();
        watchdog.arm();
        watchdog.arm();

        Poll.until("the halt", () -> !halts.isEmpty());
        assertThat(Duration.ofNanos(halts.peek() - armedAt)).isGreaterThanOrEqualTo(limit);
        Poll.until(Duration.ofMillis(500), "no second halt from the second arm", () -> System.nanoTime() - armedAt
                > 3 * limit.toNanos());
        assertThat(halts).hasSize(1);
    }

    @Test
    void theProcessWatchdogLeavesHalfASecondOfTheTwoSecondPromise() {
        assertThat(StopWatchdog.LIMIT).isEqualTo(Duration.ofMillis(1500));
    }
}
