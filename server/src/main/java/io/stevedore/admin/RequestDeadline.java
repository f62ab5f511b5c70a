package io.stevedore.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an admin connection that has not sent a whole request within the read timeout of opening
 * or of its last answer. A timer per request rather than per read: a client trickling a byte now and
 * then, which would keep resetting an idle timer, is closed as surely as a silent one. A client that
 * began a request is told so with a 408 first; an idle kept-alive connection is just closed.
 */
final class RequestDeadline extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadline.class);

    private final long timeoutNanos;
    private ScheduledFuture<?> timer;
    /** Bytes came since the deadline was set: a request has begun, though the decoder may not say so yet. */
    private boolean begun;

    RequestDeadline(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** The handler that goes before the HTTP decoder to see a request's first bytes. */
    ChannelInboundHandler arrivals() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                begun = true;
                ctx.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            // A whole request: the wait is now the page's, and the answer starts the next deadline.
            cancel();
        }
        ctx.fireChannelRead(msg);
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
        begun = false;
        timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void expire(ChannelHandlerContext ctx) {
        long millis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
        log.debug("admin connection from {} closed: no whole request within {} ms", ctx.channel().remoteAddress(), millis);
        if (!begun) {
            ctx.close();
            return;
        }
        byte[] body = ("no whole request within " + millis + " ms\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, Reply.TEXT).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
