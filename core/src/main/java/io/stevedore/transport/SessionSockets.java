package io.stevedore.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.stevedore.config.ServerConfig;
import io.stevedore.session.Session;
import io.stevedore.session.SessionTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the upstream sockets of one event loop's sessions, each registered on that loop and bound
 * through its descriptor (Netty keeps no local address, about 100 bytes of heap per session): to
 * the wildcard address and a free port, or with {@code Session.SourceAddrs} to the next of those
 * addresses in this loop's turn. Only on its loop.
 */
final class SessionSockets implements SessionTable.SocketOpener {

    private static final Logger log = LoggerFactory.getLogger(SessionSockets.class);
    /** Literals: no name is looked up. */
    private static final InetSocketAddress ANY_V4 = new InetSocketAddress("0.0.0.0", 0);
    private static final InetSocketAddress ANY_V6 = new InetSocketAddress("::", 0);
    private static final long OPEN_FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final EventLoop loop;
    private final Transport transport;
    private final ServerConfig server;
    private final LoopGuard guard;
    private final Worker worker;
    private final RecvByteBufAllocator allocator;
    private final RecvBufReport recvBuffers;
    private final ClosedSocketDrops closedDrops;
    /** The position in {@link Forwarding#sourceAddrs} of the address the next socket takes. */
    private int nextSource;
    private long lastOpenFailureLog = Long.MIN_VALUE;

    SessionSockets(EventLoop loop, Transport transport, ServerConfig server, LoopGuard guard, Worker worker,
            RecvBufReport recvBuffers, ReadPace pace, ClosedSocketDrops closedDrops) {
        this.recvBuffers = recvBuffers;
        this.closedDrops = closedDrops;
        this.loop = loop;
        this.transport = transport;
        this.server = server;
        this.guard = guard;
        this.worker = worker;
        this.allocator = transport.sessionAllocator(server, pace);
    }

    /**
     * A new session of {@code client} in {@code sessions}, with its socket, or null when none can be
     * opened (the cap, no descriptor or port left); the reason is logged at most every 10 s.
     */
    Session open(SessionTable sessions, InetSocketAddress client, long nowNanos) {
        try {
            return sessions.open(client, nowNanos, this);
        } catch (Exception e) {
            if (nowNanos - lastOpenFailureLog >= OPEN_FAILURE_LOG_INTERVAL_NANOS
                    || lastOpenFailureLog == Long.MIN_VALUE) {
                lastOpenFailureLog = nowNanos;
                log.warn("cannot open an upstream socket for client {}: {} (counted as session_limit; "
                        + "logged at most every 10 s)", client, e.toString());
            }
            return null;
        }
    }

    /**
     * On the loop, Netty registers inline: the socket is active when this returns and the first
     * datagram can be written at once.
     */
    @Override
    public Channel open(Session session) throws Exception {
        Forwarding plan = worker.forwarding();
        DatagramChannel channel = transport.newChannel(plan.sessionFamily);
        SessionHandler handler = new SessionHandler(worker, session, this);
        try {
            channel.config().setOption(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true);
            channel.config().setReceiveBufferSize(plan.sessionRecvBufBytes);
            recvBuffers.granted(RecvBufReport.Kind.SESSION, plan.sessionRecvBufBytes, channel);
            transport.configureSessionSocket(channel, plan.sessionFamily, allocator, server);
            channel.pipeline().addLast(handler);
        } catch (RuntimeException | Error e) {
            // The socket is open from newChannel on; unregistered, nothing else would close it.
            channel.unsafe().closeForcibly();
            throw e;
        }
        check(loop.register(channel), channel);
        try {
            InetSocketAddress local;
            if (plan.sourceAddrs.length > 0) {
                local = bindSource(channel, plan.sourceAddrs);
            } else {
                // Bound now, not by the kernel on the first send: when the ephemeral ports run out
                // this bind fails and the session is refused (session_limit), where a failing
                // autobind would fail the send with EAGAIN, which Netty takes for a full buffer and
                // retries on every turn.
                local = transport.bindSessionSocket(channel, plan.sessionFamily == SocketProtocolFamily.INET6
                        ? ANY_V6 : ANY_V4);
            }
            handler.bound(guard.opened(local));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * Binds a new session socket to the next of {@code sources} in this loop's rotation, port 0.
     * Each address has its own ephemeral ports, so K addresses hold K port ranges of sessions. An
     * address that cannot be bound (no longer local, or its ports all taken) is passed over for the
     * next one; when none can be, the session is not opened.
     */
    private InetSocketAddress bindSource(DatagramChannel channel, InetSocketAddress[] sources) throws IOException {
        IOException last = null;
        InetSocketAddress lastSource = null;
        for (int tried = 0; tried < sources.length; tried++) {
            if (nextSource >= sources.length) {
                // A reload may have shortened the list.
                nextSource = 0;
            }
            InetSocketAddress source = sources[nextSource++];
            try {
                return transport.bindSessionSocket(channel, source);
            } catch (IOException e) {
                last = e;
                lastSource = source;
            }
        }
        throw new IOException("no address of Session.SourceAddrs could be bound (" + sources.length + " tried; "
                + lastSource.getAddress().getHostAddress() + ": " + last.getMessage() + ")", last);
    }

    /**
     * A session socket is about to close: what the kernel dropped at its full receive buffer goes
     * with it, so its count is handed to the metrics first (only when there is one to hand).
     */
    void closing(DatagramChannel channel) {
        long drops = transport.drops(channel);
        if (drops > 0) {
            long inode = KernelDrops.inode(transport.fd(channel));
            if (inode >= 0) {
                closedDrops.closed(inode, drops);
            }
        }
    }

    private static void check(ChannelFuture registered, Channel channel) throws Exception {
        if (!registered.isDone()) {
            channel.close();
            throw new IllegalStateException("register of a session socket did not complete on its event loop");
        }
        if (!registered.isSuccess()) {
            channel.close();
            Throwable cause = registered.cause();
            throw cause instanceof Exception ? (Exception) cause : new IllegalStateException(cause);
        }
    }
}
