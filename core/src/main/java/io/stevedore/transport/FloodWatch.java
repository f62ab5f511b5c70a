package io.stevedore.transport;

import io.netty.channel.socket.DatagramChannel;
import io.stevedore.config.Addresses;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.LoopCounters;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shrinks a listening socket's receive buffer to {@code Server.FloodRecvBufBytes} while the kernel
 * drops datagrams at it, and gives it {@code Server.RecvBufBytes} back once it has dropped none for
 * {@link #CALM_NANOS}. In a flood the buffer stays full, so its size is how long each datagram
 * waits behind the others; a smaller one halves that wait and loses nothing a larger one would have
 * delivered, since the excess is dropped either way. Outside a flood the larger buffer takes bursts
 * the loop catches up with, such as a storm of new clients whose sessions each cost a socket to open.
 *
 * <p>The kernel's own drop count (SO_MEMINFO) decides, not a guess from how full the reads are: a
 * loop that keeps up with a burst never shrinks. It is read only after a read that filled the batch
 * (a buffer overflows only behind a backlog), at most once per {@link #CHECK_NANOS}, and once per
 * {@link #CALM_NANOS} while shrunk. Only on the socket's loop.
 */
final class FloodWatch {

    private static final Logger log = LoggerFactory.getLogger(FloodWatch.class);

    /** Readings of the drop count, at most, while reads keep filling the batch. */
    static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** How long a shrunk socket must drop nothing to get its buffer back. */
    static final long CALM_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A socket that shrinks again within this of its last logged shrink does so without a log line. */
    static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final DatagramChannel channel;
    private final Transport transport;
    private final LoopCounters counters;
    private final int calmBytes;
    private final int floodBytes;
    private final int batch;
    private final Runnable calmCheck = this::calmCheck;
    private boolean enabled;
    private int got;
    /** The kernel's count at the last reading; a new socket's starts at 0. */
    private long drops;
    private long checkedAt;
    private long lastDropAt;
    private boolean shrunk;
    private long loggedAt;
    private boolean logged;

    FloodWatch(DatagramChannel channel, Transport transport, LoopCounters counters, int calmBytes, int floodBytes,
            int batch) {
        this.channel = channel;
        this.transport = transport;
        this.counters = counters;
        this.calmBytes = calmBytes;
        this.floodBytes = floodBytes;
        this.batch = batch;
        this.enabled = floodBytes < calmBytes;
        this.checkedAt = System.nanoTime() - CHECK_NANOS;
        this.loggedAt = checkedAt - LOG_EVERY_NANOS;
    }

    /** A datagram was read. */
    void read() {
        got++;
    }

    /** A read ended: if it filled the batch, looks whether the kernel dropped since the last reading. */
    void readEnded() {
        int read = got;
        got = 0;
        if (!enabled || read < batch) {
            return;
        }
        long now = System.nanoTime();
        if (now - checkedAt < CHECK_NANOS) {
            return;
        }
        checkedAt = now;
        if (dropped(now) && !shrunk) {
            shrink(now);
        }
    }

    /** Reads the kernel's count; true if it grew since the last reading. Disables the watch where it cannot be read. */
    private boolean dropped(long now) {
        long current = transport.drops(channel);
        if (current < 0) {
            enabled = false;
            return false;
        }
        boolean grew = current != drops;
        drops = current;
        if (grew) {
            lastDropAt = now;
        }
        return grew;
    }

    private void shrink(long now) {
        channel.config().setReceiveBufferSize(floodBytes);
        shrunk = true;
        counters.count(LoopCounter.LISTENER_SHRINKS);
        logged = now - loggedAt >= LOG_EVERY_NANOS;
        if (logged) {
            loggedAt = now;
            log.warn("listener {}: the kernel drops datagrams at its full receive buffer; it holds {} bytes "
                    + "(Server.FloodRecvBufBytes, {} granted) instead of {} until it drops none for a second, so that "
                    + "each datagram waits less behind the others (stevedore_listener_shrinks_total counts these)",
                    Addresses.format(channel.localAddress()), floodBytes, channel.config().getReceiveBufferSize(),
                    calmBytes);
        }
        channel.eventLoop().schedule(calmCheck, CALM_NANOS, TimeUnit.NANOSECONDS);
    }

    private void calmCheck() {
        if (!channel.isOpen()) {
            return;
        }
        long now = System.nanoTime();
        dropped(now);
        long calmFor = now - lastDropAt;
        if (enabled && calmFor < CALM_NANOS) {
            channel.eventLoop().schedule(calmCheck, CALM_NANOS - calmFor, TimeUnit.NANOSECONDS);
            return;
        }
        channel.config().setReceiveBufferSize(calmBytes);
        shrunk = false;
        if (logged) {
            log.info("listener {}: no drops for a second; its receive buffer holds {} bytes again (Server.RecvBufBytes)",
                    Addresses.format(channel.localAddress()), calmBytes);
        }
    }
}
