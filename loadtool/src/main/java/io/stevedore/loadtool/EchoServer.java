package io.stevedore.loadtool;

import io.netty.buffer.ByteBuf;
import io.stevedore.proxyprotocol.ProxyHeader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Echo backends for benchmarks and tests: each listener sends every datagram back to its sender
 * with the listener's id written at {@link Wire#BACKEND_OFFSET}, so the client sees which backend
 * served it. Replying to the datagram's source is what makes it work behind a proxy. Datagrams
 * shorter than 8 bytes cannot carry the tag and are echoed unchanged. A datagram that starts with a
 * PROXY protocol v2 header (a Stevedore upstream with {@code ProxyProtocol}) is answered without
 * it, as a PROXY-aware server answers.
 */
public final class EchoServer implements AutoCloseable {

    /** One listening address and the id its replies carry (1 to 4 ASCII characters). */
    public record Listener(InetSocketAddress address, String id) {
        public Listener {
            Wire.tag(id);
            Loopback.requireLoopback(address.getAddress());
        }
    }

    /** Default for {@code maxDatagram}: the proxy's own default BufSize. */
    public static final int DEFAULT_MAX_DATAGRAM = 4096;
    static final int BATCH = 32;

    private final EventLoopGroup group;
    private final List<Channel> channels;
    private final List<Listener> bound;
    private final AtomicLong echoed;
    private final AtomicLong dropped;

    private EchoServer(EventLoopGroup group, List<Channel> channels, List<Listener> bound,
                       AtomicLong echoed, AtomicLong dropped) {
        this.group = group;
        this.channels = channels;
        this.bound = bound;
        this.echoed = echoed;
        this.dropped = dropped;
    }

    /**
     * Binds every listener, spread over {@code threads} event loops, and serves until closed.
     * Datagrams longer than {@code maxDatagram} bytes are cut to that length.
     */
    public static EchoServer start(List<Listener> listeners, int threads, int maxDatagram) {
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("the echo needs at least one --listen address");
        }
        if (threads < 1 || maxDatagram < Wire.HEADER_SIZE || maxDatagram > Wire.MAX_SIZE) {
            throw new IllegalArgumentException("threads must be >= 1 and maxDatagram "
                    + Wire.HEADER_SIZE + ".." + Wire.MAX_SIZE);
        }
        EventLoopGroup group = UdpTransport.newGroup(threads, "echo", false);
        AtomicLong echoed = new AtomicLong();
        AtomicLong dropped = new AtomicLong();
        List<Channel> channels = new ArrayList<>();
        List<Listener> bound = new ArrayList<>();
        try {
            for (Listener listener : listeners) {
                Channel channel = UdpTransport.bootstrap(group, BATCH, maxDatagram, listener.address().getAddress())
                        .handler(new Echo(Wire.tag(listener.id()), echoed, dropped))
                        .bind(listener.address())
                        .syncUninterruptibly()
                        .channel();
                channels.add(channel);
                bound.add(new Listener((InetSocketAddress) channel.localAddress(), listener.id()));
            }
        } catch (RuntimeException e) {
            channels.forEach(Channel::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw new IllegalStateException("echo cannot bind: " + e.getMessage(), e);
        }
        return new EchoServer(group, List.copyOf(channels), List.copyOf(bound), echoed, dropped);
    }

    /** The listeners as bound: a port 0 asked for is the port the kernel chose. */
    public List<Listener> listeners() {
        return bound;
    }

    /** Datagrams sent back, all listeners together. */
    public long echoed() {
        return echoed.get();
    }

    /** Datagrams not sent back: the socket's send queue was full, or the kernel refused the send. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        channels.forEach(Channel::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One listener's handler; runs on its channel's event loop only. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        private final int tag;
        private final AtomicLong echoed;
        private final AtomicLong dropped;
        private final ProxyHeader.Parsed proxyHeader = new ProxyHeader.Parsed();
        private long pendingEchoed;
        private long pendingDropped;

        Echo(int tag, AtomicLong echoed, AtomicLong dropped) {
            this.tag = tag;
            this.echoed = echoed;
            this.dropped = dropped;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            if (!ctx.channel().isWritable()) {
                packet.release();
                pendingDropped++;
                return;
            }
            ByteBuf content = packet.content();
            if (ProxyHeader.parse(content, proxyHeader)) {
                content.skipBytes(proxyHeader.length());
            }
            if (content.readableBytes() >= Wire.BACKEND_OFFSET + 4) {
                content.setInt(content.readerIndex() + Wire.BACKEND_OFFSET, tag);
            }
            // The received buffer goes back out as the reply: ownership passes to the write.
            ctx.write(new DatagramPacket(content, packet.sender()), ctx.voidPromise());
            pendingEchoed++;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            // Shared counters are touched once per read batch, not once per datagram.
            if (pendingEchoed != 0) {
                echoed.addAndGet(pendingEchoed);
                pendingEchoed = 0;
            }
            if (pendingDropped != 0) {
                dropped.addAndGet(pendingDropped);
                pendingDropped = 0;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A failed send (say, to a client that left) is counted and must not stop the echo.
            dropped.incrementAndGet();
        }
    }
}
