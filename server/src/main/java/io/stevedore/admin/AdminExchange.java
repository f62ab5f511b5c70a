package io.stevedore.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection after the HTTP decoder: answers each request as soon as its head is decoded
 * (no page reads a body) and its page is ready, in the order the requests came, and keeps the
 * connection for the next one unless the client or the request rules that out.
 * {@link SimpleChannelInboundHandler} releases every decoded object, the failed ones the decoder
 * makes up included.
 */
final class AdminExchange extends SimpleChannelInboundHandler<HttpObject> {

    private static final Logger log = LoggerFactory.getLogger(AdminExchange.class);

    /** Requests of one connection waiting for their answers, beyond which the client is not reading them. */
    static final int MAX_WAITING = 16;

    private final AdminPages pages;
    /** Set once an answer ends the connection: whatever the client still sends is read and dropped. */
    private boolean ending;
    /** Completes when the answers to every request so far have been written: the next one waits for it. */
    private CompletableFuture<Void> written = CompletableFuture.completedFuture(null);
    private int waiting;

    AdminExchange(AdminPages pages) {
        this.pages = pages;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        if (ending) {
            return;
        }
        DecoderResult decoded = message.decoderResult();
        if (decoded.isFailure()) {
            log.debug("admin request from {} refused: {}", ctx.channel().remoteAddress(), decoded.cause().toString());
            queue(ctx, CompletableFuture.completedFuture(malformed(decoded.cause())), false, false);
            return;
        }
        if (!(message instanceof HttpRequest request)) {
            // A body's content or the decoder's empty end of a request already answered.
            return;
        }
        if (!ctx.channel().isWritable() || waiting >= MAX_WAITING) {
            // Requests pipelined faster than their answers are read would grow the outbound buffer without
            // bound: a client that lets answers pile up past the write buffer loses its connection.
            log.debug("admin connection from {} closed: its answers are not being read", ctx.channel().remoteAddress());
            ending = true;
            ctx.close();
            return;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !AdminPages.hasBody(request);
        CompletableFuture<Reply> reply = page(request);
        if (keepAlive && request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // HTTP/1.0 closes by default: keeping the connection must be said.
            reply = reply.thenApply(r -> r.with(HttpHeaderNames.CONNECTION.toString(), HttpHeaderValues.KEEP_ALIVE.toString()));
        }
        queue(ctx, reply, head, keepAlive);
    }

    /** Writes {@code reply} once it is ready and every earlier answer of this connection has been written. */
    private void queue(ChannelHandlerContext ctx, CompletableFuture<Reply> reply, boolean head, boolean keepAlive) {
        waiting++;
        written = written.thenCombine(reply, (done, ready) -> ready).thenAcceptAsync(ready -> {
            waiting--;
            answer(ctx, ready, head, keepAlive);
        }, ctx.executor()).exceptionally(e -> {
            log.warn("admin connection from {} failed", ctx.channel().remoteAddress(), e);
            ctx.close();
            return null;
        });
    }

    private CompletableFuture<Reply> page(HttpRequest request) {
        try {
            return pages.reply(request).exceptionally(e -> failed(request.uri(), e));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(
                    Reply.text(HttpResponseStatus.BAD_REQUEST, "bad request: " + e.getMessage() + "\n"));
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(failed(request.uri(), e));
        }
    }

    private static Reply failed(String uri, Throwable e) {
        log.warn("admin request {} failed", uri, e);
        return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
    }

    /** 414 and 431 name the limit the client crossed; any other unreadable request is a 400. */
    private static Reply malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return Reply.text(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "request line longer than " + AdminServer.MAX_REQUEST_LINE_BYTES + " bytes\n");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Reply.text(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "headers larger than " + AdminServer.MAX_HEADER_BYTES + " bytes\n");
        }
        return Reply.text(HttpResponseStatus.BAD_REQUEST, "malformed request\n");
    }

    private void answer(ChannelHandlerContext ctx, Reply reply, boolean head, boolean keepAlive) {
        if (ending || !ctx.channel().isActive()) {
            return;
        }
        // HEAD gets the length GET would have, and no content: nothing is allocated that the encoder would skip.
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        reply.headers().forEach(response.headers()::set);
        if (keepAlive) {
            ctx.writeAndFlush(response, ctx.voidPromise());
            return;
        }
        ending = true;
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(written -> {
            // Closing with unread bytes in the socket would reset the connection, and the client could lose
            // the answer (a 1 MB header, a body): send FIN instead and drain until the client closes or the
            // read deadline does.
            if (written.isSuccess() && ctx.channel() instanceof SocketChannel socket) {
                socket.shutdownOutput();
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection from {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
