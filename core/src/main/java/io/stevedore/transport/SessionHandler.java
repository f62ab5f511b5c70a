package io.stevedore.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.stevedore.metrics.CloseReason;
import io.stevedore.session.Session;

/**
 * Reads what peers send to one session's upstream socket and hands it to the session's worker,
 * with the socket's errors: ICMP reports about earlier datagrams (see {@code FailedSends.socketError}).
 * As the socket closes, its kernel drop count is handed over ({@link SessionSockets#closing}).
 */
final class SessionHandler extends ChannelDuplexHandler {

    private final Worker worker;
    private final Session session;
    /** Whether the read in progress delivered a datagram. */
    private boolean readAny;
    /** The socket's address and port as {@link LoopGuard#opened} has them, once bound; else -1. */
    private int binding = -1;

    private final SessionSockets sockets;

    SessionHandler(Worker worker, Session session, SessionSockets sockets) {
        this.worker = worker;
        this.session = session;
        this.sockets = sockets;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (ctx.channel().isOpen()) {
            sockets.closing((DatagramChannel) ctx.channel());
        }
        ctx.close(promise);
    }

    void bound(int binding) {
        this.binding = binding;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readAny = true;
        worker.fromPeer(session, (DatagramPacket) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.endReplies();
        if (!readAny) {
            // Woken for nothing: the socket is in error. If a receive error follows, exceptionCaught
            // handles it; if not, only a queued ICMP report is left, and it must go.
            worker.socketWokeEmpty(session);
        }
        readAny = false;
        worker.endBatch();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The socket went away: so does the session. When Stevedore closed it (sweep, eviction,
        // reload, stop), the session is closed already and this counts nothing.
        if (binding >= 0) {
            worker.socketClosed(binding);
            binding = -1;
        }
        worker.sessions().close(session, CloseReason.ERROR);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        worker.socketError(session, cause);
    }
}
