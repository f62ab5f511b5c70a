package io.stevedore.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.rolling.RollingFileAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stevedore.config.Addresses;
import io.stevedore.config.LogConfig;
import io.stevedore.transport.LiveSession;
import io.stevedore.transport.SessionLog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.LoggerFactory;

/**
 * {@code Log.AccessPath}: one JSON line per closed session, rotated by the main log's rules.
 *
 * <p>The event loops only enqueue: a lock-free queue bounded by an atomic count, so a loop never
 * waits for the disk nor shares a lock with another loop. A thread of its own,
 * {@code stevedore-access-log}, formats and writes. When the queue is full the record is dropped
 * and counted ({@link #dropped()}): a slow disk costs log lines, never forwarding.
 */
public final class AccessLog implements SessionLog, AutoCloseable {

    /** Records waiting at most: about 200 bytes each, so a stalled disk costs at most some 13 MiB. */
    static final int CAPACITY = 65_536;
    /** How long the writer sleeps on an empty queue: the loops never wake it, which would cost them a syscall. */
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long a stop waits for the queue to drain: within the stop watchdog's 1.5 s. */
    private static final long CLOSE_WAIT_MILLIS = 700;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConcurrentLinkedQueue<ClosedSession> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final int capacity;
    private final RollingFileAppender<String> file;
    private final Thread writer;
    private volatile boolean closing;
    /** Tests hold the writer here to fill the queue. */
    private volatile CountDownLatch held;

    private AccessLog(RollingFileAppender<String> file, int capacity) {
        this.file = file;
        this.capacity = capacity;
        this.writer = new Thread(this::write, "stevedore-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Opens {@code log.accessPath()} and starts the writer.
     *
     * @throws IllegalStateException when the file cannot be opened; the message says why
     */
    public static AccessLog open(LogConfig log) {
        return open(log, CAPACITY);
    }

    static AccessLog open(LogConfig log, int capacity) {
        // Logback's context gathers the appender's errors; reset() by LogSetup never reaches an
        // appender no logger holds, so this one outlives the main log's configuration.
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        long since = System.currentTimeMillis();
        RollingFileAppender<String> file = LogSetup.rollingFile(context, log.accessPath(), log);
        file.setName("stevedore-access");
        file.setEncoder(new LineEncoder());
        file.start();
        if (!file.isStarted()) {
            throw new IllegalStateException("Log.AccessPath " + log.accessPath() + ": cannot log there ("
                    + LogSetup.errorsSince(context, since) + ")");
        }
        return new AccessLog(file, capacity);
    }

    @Override
    public void closed(ClosedSession session) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        queue.offer(session);
    }

    @Override
    public long dropped() {
        return dropped.get();
    }

    /** Stops the writer until the returned hook is closed: the queue then fills as a stalled disk would. */
    AutoCloseable hold() {
        CountDownLatch latch = new CountDownLatch(1);
        held = latch;
        return () -> {
            held = null;
            latch.countDown();
        };
    }

    private void write() {
        while (true) {
            CountDownLatch latch = held;
            if (latch != null) {
                try {
                    latch.await();
                } catch (InterruptedException e) {
                    break;
                }
            }
            ClosedSession session = queue.poll();
            if (session == null) {
                if (closing) {
                    break;
                }
                LockSupport.parkNanos(IDLE_NANOS);
                continue;
            }
            queued.decrementAndGet();
            file.doAppend(line(session));
        }
        file.stop();
    }

    static String line(ClosedSession closed) {
        LiveSession s = closed.session();
        ObjectNode node = JSON.createObjectNode();
        node.put("time", Instant.ofEpochMilli(closed.timeMillis()).toString());
        node.put("client", Addresses.format(s.client()));
        node.put("listener", s.listener() == null ? null : Addresses.format(s.listener()));
        ObjectNode peers = node.putObject("peers");
        s.peers().forEach((upstream, peer) -> peers.put(upstream, Addresses.format(peer)));
        node.put("datagrams_in", s.datagramsIn());
        node.put("datagrams_out", s.datagramsOut());
        node.put("bytes_in", s.bytesIn());
        node.put("bytes_out", s.bytesOut());
        node.put("duration_ms", closed.durationMillis());
        node.put("reason", closed.reason().label());
        return node.toString();
    }

    /** Writes what is queued (bounded in time, so a stalled disk cannot hold the stop) and closes the file. */
    @Override
    public void close() throws InterruptedException {
        closing = true;
        LockSupport.unpark(writer);
        writer.join(CLOSE_WAIT_MILLIS);
    }

    private static final class LineEncoder extends EncoderBase<String> {

        @Override
        public byte[] headerBytes() {
            return null;
        }

        @Override
        public byte[] encode(String line) {
            return (line + "\n").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] footerBytes() {
            return null;
        }
    }
}
