package io.stevedore.admin;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits admin connections up to a cap and gives each its pipeline: the HTTP codec with bounded
 * request line and headers, the request deadline, the exchange. Past the cap a new connection is
 * closed at once, and the refusals are logged at most once per {@link #WARNING_INTERVAL_NANOS},
 * each line counting those since the previous one, so a flood cannot flood the log too.
 *
 * <p>Every method runs on the admin endpoint's single event loop: the fields need no locking; the
 * open count is atomic only so that tests and the server can read it from elsewhere.
 */
final class AdminConnections extends ChannelInitializer<SocketChannel> {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AdminPages pages;
    private final long readTimeoutNanos;
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();
    private final HttpDecoderConfig decoding = new HttpDecoderConfig()
            .setMaxInitialLineLength(AdminServer.MAX_REQUEST_LINE_BYTES)
            .setMaxHeaderSize(AdminServer.MAX_HEADER_BYTES);

    private long refusedSinceWarning;
    private long lastWarningNanos;
    private boolean warned;
    private boolean warningDue;

    AdminConnections(AdminPages pages, long readTimeoutNanos, int maxConnections) {
        this.pages = pages;
        this.readTimeoutNanos = readTimeoutNanos;
        this.maxConnections = maxConnections;
    }

    int open() {
        return open.get();
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (open.get() >= maxConnections) {
            channel.close();
            refused(channel);
            return;
        }
        open.incrementAndGet();
        channel.closeFuture().addListener(closed -> open.decrementAndGet());
        channel.pipeline().addLast(new HttpServerCodec(decoding), new RequestDeadline(readTimeoutNanos),
                new AdminExchange(pages));
    }

    private void refused(SocketChannel channel) {
        refusedSinceWarning++;
        long now = System.nanoTime();
        long wait = warned ? lastWarningNanos + WARNING_INTERVAL_NANOS - now : 0;
        if (wait <= 0) {
            warn(now);
        } else if (!warningDue) {
            // Refusals that stop within the interval are still reported, once it ends.
            warningDue = true;
            channel.eventLoop().schedule(() -> {
                warningDue = false;
                if (refusedSinceWarning > 0) {
                    warn(System.nanoTime());
                }
            }, wait, TimeUnit.NANOSECONDS);
        }
    }

    private void warn(long now) {
        log.warn("admin endpoint at its limit of {} connections: refused {} new connection(s) since the last such line",
                maxConnections, refusedSinceWarning);
        refusedSinceWarning = 0;
        lastWarningNanos = now;
        warned = true;
    }
}
