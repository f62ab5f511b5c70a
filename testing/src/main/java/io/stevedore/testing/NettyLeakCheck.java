package io.stevedore.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class when Netty's leak detector (paranoid in the build) logs a leaked ByteBuf while
 * it ran, in the daemon or in a test harness. Netty only notices a leak once the lost buffer is
 * collected and a later allocation is tracked, so after the class this forces a collection, waits
 * for reference processing, and allocates.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> REPORTS = new CopyOnWriteArrayList<>();
    private static final AppenderBase<ILoggingEvent> LISTENER = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.ERROR) && event.getFormattedMessage().contains("LEAK")) {
                REPORTS.add(event.getFormattedMessage());
            }
        }
    };

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (LISTENER) {
            if (!LISTENER.isStarted()) {
                Logger detector = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
                LISTENER.setContext(detector.getLoggerContext());
                LISTENER.start();
                detector.addAppender(LISTENER);
            }
        }
        REPORTS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        ReferenceQueue<Object> collected = new ReferenceQueue<>();
        PhantomReference<Object> marker = new PhantomReference<>(new Object(), collected);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (collected.poll() == null && System.nanoTime() - deadline < 0) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(marker.refersTo(null)).as("a garbage collection ran").isTrue();
        for (int i = 0; i < 64; i++) {
            ByteBufAllocator.DEFAULT.directBuffer(16).release();
            ByteBufAllocator.DEFAULT.heapBuffer(16).release();
        }
        assertThat(REPORTS).as("ByteBuf leaks reported by Netty").isEmpty();
    }
}
