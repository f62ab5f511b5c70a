package io.stevedore.admin;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits admin connections up to a cap and gives each its pipeline: the HTTP codec with bounded
 * request line and headers, the request deadline, the exchange. Past the cap a new connection is
 * closed at once, and the refusals are logged at most once per {@link #WARNING_INTERVAL_NANOS},
 * each line counting those since the previous one, so a flood cannot flood the log too.
 *
 * <p>Every method but {@link #open} and {@link #closeAll} runs on the admin endpoint's single event
 * loop: the fields need no locking.
 */
final class AdminConnections extends ChannelInitializer<SocketChannel> {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AdminPages pages;
    private final long readTimeoutNanos;
    private final int maxConnections;
    /** The connections admitted and still open: a closed one leaves the group by itself. */
    private final ChannelGroup open;
    private final HttpDecoderConfig decoding = new HttpDecoderConfig()
            .setMaxInitialLineLength(AdminServer.MAX_REQUEST_LINE_BYTES)
            .setMaxHeaderSize(AdminServer.MAX_HEADER_BYTES);

    private long refusedSinceWarning;
    private long lastWarningNanos;
    private boolean warned;
    private boolean warningDue;

    AdminConnections(AdminPages pages, long readTimeoutNanos, int maxConnections, EventExecutor loop) {
        this.open = new DefaultChannelGroup("stevedore-admin", loop);
        this.pages = pages;
        this.readTimeoutNanos = readTimeoutNanos;
        this.maxConnections = maxConnections;
    }

    int open() {
        return open.size();
    }

    /**
     * Closes every admitted connection. The endpoint does this before it stops its loop: a loop told to
     * stop while it runs a task can end without closing its channels, which would then stay open,
     * their buffers never released.
     */
    ChannelGroupFuture closeAll() {
        return open.close();
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (open.size() >= maxConnections) {
            channel.close();
            refused(channel);
            return;
        }
        open.add(channel);
        RequestDeadline deadline = new RequestDeadline(readTimeoutNanos);
        channel.pipeline().addLast(deadline.arrivals(), new HttpServerCodec(decoding), deadline, new AdminExchange(pages));
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
