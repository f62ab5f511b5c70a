package io.stevedore.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.stevedore.session.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads what peers send to one session's upstream socket and hands it to the session's worker. */
final class SessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);

    private final Worker worker;
    private final Session session;

    SessionHandler(Worker worker, Session session) {
        this.worker = worker;
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        worker.fromPeer(session, (DatagramPacket) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        worker.endReplies();
        worker.endBatch();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The socket went away (closed by the sweep or by an error): so does the session.
        session.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("session {}: socket error", session.client(), cause);
    }
}
