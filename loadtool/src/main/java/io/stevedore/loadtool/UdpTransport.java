package io.stevedore.loadtool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * UDP sockets set up for batches: with native epoll, one receive buffer holds {@code batch}
 * datagrams so Netty reads them with one recvmmsg, and the datagrams written before one flush
 * leave with one sendmmsg. Elsewhere NIO, one datagram per system call.
 */
final class UdpTransport {

    static final boolean EPOLL = Epoll.isAvailable();

    /** Plenty for a burst of small datagrams; the kernel caps it at net.core.rmem_max. */
    static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private UdpTransport() {
    }

    static EventLoopGroup newGroup(int threads, String name, boolean daemon) {
        IoHandlerFactory handler = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, daemon), handler);
    }

    /**
     * A bootstrap whose channels read up to {@code batch} datagrams of at most {@code maxDatagram}
     * bytes per system call. A longer datagram is cut to {@code maxDatagram}. The sockets are of the
     * family of {@code address}: an IPv4 socket spares IPv4 traffic the IPv6 socket layer.
     */
    static Bootstrap bootstrap(EventLoopGroup group, int batch, int maxDatagram, InetAddress address) {
        SocketProtocolFamily family = address instanceof Inet6Address
                ? SocketProtocolFamily.INET6
                : SocketProtocolFamily.INET;
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                // The high mark bounds what a flood may queue in a socket the kernel does not drain.
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20));
        if (EPOLL) {
            FixedRecvByteBufAllocator allocator = new FixedRecvByteBufAllocator(batch * maxDatagram);
            // Counted in datagrams, so one recvmmsg per readiness: the epoll here is level-triggered
            // and reports a socket again if more is queued, which costs less than the empty read
            // (EAGAIN) that would otherwise end every turn (about a tenth of the CPU per datagram).
            allocator.maxMessagesPerRead(1);
            return bootstrap.channelFactory(() -> new EpollDatagramChannel(family))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagram)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, allocator);
        }
        FixedRecvByteBufAllocator allocator = new FixedRecvByteBufAllocator(maxDatagram);
        allocator.maxMessagesPerRead(batch);
        return bootstrap.channelFactory(() -> new NioDatagramChannel(family)).option(ChannelOption.RCVBUF_ALLOCATOR, allocator);
    }
}
