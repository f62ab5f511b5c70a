package io.stevedore.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a worker's event loop busy until closed, so that what clients and peers send meanwhile
 * waits whole in the sockets' receive queues and is read by one recvmmsg when the loop resumes.
 * The hold ends by itself after 5 s, so a failing test cannot stall the daemon.
 */
final class HeldLoop implements AutoCloseable {

    private final CountDownLatch release = new CountDownLatch(1);

    static HeldLoop on(Worker worker) throws InterruptedException {
        HeldLoop held = new HeldLoop();
        CountDownLatch running = new CountDownLatch(1);
        worker.loop.execute(() -> {
            running.countDown();
            try {
                held.release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(5, TimeUnit.SECONDS)).as("the loop runs the holding task").isTrue();
        return held;
    }

    @Override
    public void close() {
        release.countDown();
    }
}
