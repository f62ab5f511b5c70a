package io.stevedore.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads client datagrams from one listening socket (see {@link Listener}). Each read batch (one recvmmsg) ends with
 * {@code channelReadComplete}, where the worker flushes every session socket written to during the
 * batch, once, so several datagrams for one session leave in one sendmmsg, and the socket's
 * {@link FloodWatch} looks whether a full read means the kernel is dropping.
 */
final class ListenerHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ListenerHandler.class);

    private final Worker worker;
    private final Listener listener;
    private final FloodWatch flood;

    ListenerHandler(Worker worker, Listener listener, FloodWatch flood) {
        this.worker = worker;
        this.listener = listener;
        this.flood = flood;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        flood.read();
        worker.fromClient(listener, (DatagramPacket) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.flushSessions();
        worker.endBatch();
        flood.readEnded();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Mostly a reply that could not be sent to its client; never fatal to the listener.
        worker.listenerError();
        log.debug("listener {}: socket error", ctx.channel().localAddress(), cause);
    }
}
