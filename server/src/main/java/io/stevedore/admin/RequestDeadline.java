package io.stevedore.admin;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an admin connection that has not sent a whole request within the read timeout of opening
 * or of its last answer. A timer per request rather than per read: a client trickling a byte now and
 * then, which would keep resetting an idle timer, is closed as surely as a silent one.
 */
final class RequestDeadline extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadline.class);

    private final long timeoutNanos;
    private ScheduledFuture<?> timer;

    RequestDeadline(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // An accepted connection is active before its handlers are added, so channelActive may not come.
        if (ctx.channel().isActive()) {
            restart(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        restart(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // The end of an answer is where the wait for the next request begins.
        if (msg instanceof LastHttpContent) {
            restart(ctx);
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void restart(ChannelHandlerContext ctx) {
        cancel();
        timer = ctx.executor().schedule(() -> {
            log.debug("admin connection from {} closed: no whole request within {} ms", ctx.channel().remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            ctx.close();
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
