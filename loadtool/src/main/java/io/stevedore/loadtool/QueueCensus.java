package io.stevedore.loadtool;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where a run's datagrams wait: the bytes held unread in the receive buffers of the proxy's
 * sockets, the echo backends' and the load client's, sampled every {@link #INTERVAL} from the end
 * of the warm-up until closed, and averaged. In a flood a reply's round trip is mostly the queues it
 * passes, and they are not all the proxy's: a proxy that relays more fills the client's and the
 * echo's buffers more, on the same cores. Sampling reads {@code /proc} from a thread of its own,
 * about a millisecond of CPU per sample, so the census runs only where the queues are the question.
 */
final class QueueCensus implements AutoCloseable {

    static final Duration INTERVAL = Duration.ofMillis(50);

    /** Mean bytes queued during the window; {@code proxy} is null for the direct path, which has none. */
    record Queued(Double proxy, double echo, double client, int samples) {
    }

    private final SocketDropCounter proxy;
    private final SocketDropCounter echo;
    /** Whose sockets the load client's are: set again when the client is a process of its own. */
    private volatile SocketDropCounter client;
    private final long[] sums = new long[3];
    private final Thread sampler;
    private volatile boolean open = true;
    private int samples;

    private QueueCensus(Optional<Long> proxyPid, long echoPid, long clientPid, Duration delay, Duration window) {
        proxy = proxyPid.map(SocketDropCounter::ofTree).orElse(null);
        echo = SocketDropCounter.ofTree(echoPid);
        client = SocketDropCounter.ofProcess(clientPid);
        sampler = new Thread(() -> sample(delay, window), "queue-census");
        sampler.setDaemon(true);
    }

    /**
     * Samples for {@code window} after {@code delay}: the run's measured window after its warm-up,
     * not the drain after it, where the queues empty. {@code clientPid}: the load client's process alone.
     */
    static QueueCensus start(Optional<Long> proxyPid, long echoPid, long clientPid, Duration delay, Duration window) {
        QueueCensus census = new QueueCensus(proxyPid, echoPid, clientPid, delay, window);
        census.sampler.start();
        return census;
    }

    /** The load client is the process {@code pid} (the native client, started after the census). */
    void client(long pid) {
        client = SocketDropCounter.ofProcess(pid);
    }

    private void sample(Duration delay, Duration window) {
        try {
            long next = System.nanoTime() + delay.toNanos();
            long end = next + window.toNanos();
            while (open && next - end < 0) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (!open) {
                    return;
                }
                long[] bytes = SocketDropCounter.queued(proxy == null
                        ? List.of(SocketDropCounter.NONE, echo, client) : List.of(proxy, echo, client));
                synchronized (this) {
                    for (int g = 0; g < sums.length; g++) {
                        sums[g] += bytes[g];
                    }
                    samples++;
                }
                next += INTERVAL.toNanos();
            }
        } catch (InterruptedException e) {
            // Closed.
        }
    }

    /** The means so far, or empty when the window was too short for a sample. */
    synchronized Optional<Queued> result() {
        if (samples == 0) {
            return Optional.empty();
        }
        return Optional.of(new Queued(proxy == null ? null : (double) sums[0] / samples,
                (double) sums[1] / samples, (double) sums[2] / samples, samples));
    }

    @Override
    public void close() throws InterruptedException {
        open = false;
        sampler.interrupt();
        sampler.join(TimeUnit.SECONDS.toMillis(5));
    }
}
