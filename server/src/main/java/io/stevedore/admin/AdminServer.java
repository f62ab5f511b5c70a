package io.stevedore.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.stevedore.config.Addresses;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP endpoint: {@code /metrics} (Prometheus text format, or what the scraper asks
 * for), {@code /status} (JSON) and {@code /healthz} (200 while every listening socket is open,
 * else 503).
 *
 * <p>Netty's HTTP codec serves it on one event loop of its own, never a data-plane loop; nothing it
 * does reaches the data plane except reading its counters. No connection can hold it: every socket
 * is read without blocking, so a slow or silent client costs a socket and a timer, not another
 * client's answer; a connection that does not send a whole request within the read timeout is
 * closed; request lines, headers and the number of connections are bounded (docs/operations.md
 * says what each limit answers).
 */
public final class AdminServer implements AutoCloseable {

    /** How long a connection may take to send a whole request, from its opening or its last answer. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    /** Connections open at once; more are closed as they come. */
    public static final int MAX_CONNECTIONS = 1024;
    static final int MAX_REQUEST_LINE_BYTES = 8 * 1024;
    static final int MAX_HEADER_BYTES = 16 * 1024;
    /** Stopping the daemon waits this long at most for the endpoint; a request in progress is cut. */
    private static final long CLOSE_TIMEOUT_MILLIS = 500;

    private final EventLoopGroup group;
    private final Channel server;
    private final InetSocketAddress address;
    private final AdminConnections connections;

    private AdminServer(EventLoopGroup group, Channel server, AdminConnections connections) {
        this.group = group;
        this.server = server;
        this.address = (InetSocketAddress) server.localAddress();
        this.connections = connections;
    }

    /**
     * Binds {@code address} and starts serving, with the default read timeout and connection cap.
     *
     * @throws IOException when the address cannot be bound; the message says why in an operator's words
     */
    public static AdminServer start(InetSocketAddress address, Observed observed) throws IOException {
        return start(address, observed, READ_TIMEOUT, MAX_CONNECTIONS);
    }

    /** Binds {@code address} and starts serving with the given read timeout and connection cap. */
    public static AdminServer start(InetSocketAddress address, Observed observed, Duration readTimeout,
            int maxConnections) throws IOException {
        if (readTimeout.isNegative() || readTimeout.isZero() || maxConnections < 1) {
            throw new IllegalArgumentException("read timeout " + readTimeout + " and connection cap " + maxConnections
                    + " must be positive");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("stevedore-admin", true),
                NioIoHandler.newFactory());
        AdminConnections connections = new AdminConnections(new AdminPages(observed, group.next()),
                readTimeout.toNanos(), maxConnections, group.next());
        ChannelFuture bound = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(connections).bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            stop(group, TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MILLIS));
            Throwable cause = bound.cause();
            throw new IOException("cannot serve the admin endpoint on " + Addresses.format(address) + ": "
                    + (cause instanceof BindException e ? reason(e) : cause.getMessage()), cause);
        }
        return new AdminServer(group, bound.channel(), connections);
    }

    private static String reason(BindException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("already in use")) {
            return "address already in use";
        }
        if (message.contains("cannot assign")) {
            return "not an address of this host";
        }
        if (message.contains("permission denied")) {
            return "permission denied (ports below 1024 need privileges)";
        }
        return e.getMessage();
    }

    /** The bound address (with its port, when 0 was asked for). */
    public InetSocketAddress address() {
        return address;
    }

    /** Connections open now. */
    int openConnections() {
        return connections.open();
    }

    /** Stops serving within {@value #CLOSE_TIMEOUT_MILLIS} ms; open connections and requests in progress are cut. */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MILLIS);
        // No new connection once the listening socket is closed, so closing the admitted ones leaves none open.
        server.close().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS);
        connections.closeAll().awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        stop(group, Math.max(0, deadline - System.nanoTime()));
    }

    private static void stop(EventLoopGroup group, long waitNanos) {
        group.shutdownGracefully(0, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(waitNanos, TimeUnit.NANOSECONDS);
    }
}
