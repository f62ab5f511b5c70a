package io.stevedore.transport;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollMode;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.Socket;
import io.stevedore.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket layer: Linux's native epoll (recvmmsg, sendmmsg, SO_REUSEPORT) or Java NIO where epoll
 * is unavailable. Both size every receive slot at {@code BufSize + 1} bytes: the kernel truncates a
 * datagram to its slot, so a datagram that fills the slot was larger than {@code BufSize} and is
 * dropped instead of being forwarded cut. Only epoll's session sockets hear ICMP unreachable
 * (RECVERR), which passive health needs; NIO cannot set the option.
 */
public enum Transport {
    EPOLL {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        DatagramChannel newChannel(SocketProtocolFamily family) {
            EpollDatagramChannel channel = new EpollDatagramChannel(family);
            // recvmmsg hands each datagram on as a retained slice of the batch's buffer: the pooled
            // allocator's slices are recycled by the loop, where Netty 4.2's default allocator makes
            // one object per datagram. The launcher widens the pool's thread cache to hold a batch's
            // buffer (docs/performance.md, "Allocation per datagram").
            channel.config().setAllocator(PooledByteBufAllocator.DEFAULT);
            return channel;
        }

        @Override
        boolean reusePort() {
            return true;
        }

        @Override
        void configureListener(DatagramChannel channel, ServerConfig server, boolean shared, ReadPace pace) {
            int slot = server.bufSize() + 1;
            if (shared) {
                channel.config().setOption(EpollChannelOption.SO_REUSEPORT, true);
            }
            // With a payload size set and a buffer of several slots, Netty reads with recvmmsg,
            // each datagram a slice of the one buffer; with one slot, with recvmsg.
            channel.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
            channel.config().setRecvByteBufAllocator(slots(slot, server.batchSize(), server, pace, true));
            // Level-triggered: one read per wake-up, then the batch is flushed; epoll reports the
            // socket again if datagrams remain. Edge-triggered would add a read that finds nothing.
            channel.config().setOption(EpollChannelOption.EPOLL_MODE, EpollMode.LEVEL_TRIGGERED);
        }

        @Override
        void recordDestination(DatagramChannel channel) {
            // Each datagram then carries the local address it was sent to (IPv4 only: Netty does not
            // ask for IPV6_RECVORIGDSTADDR), so a wildcard socket learns which address to adopt.
            channel.config().setOption(EpollChannelOption.IP_RECVORIGDSTADDR, true);
        }

        @Override
        boolean segmentation() {
            return SegmentedDatagramPacket.isSupported();
        }

        @Override
        RecvByteBufAllocator sessionAllocator(ServerConfig server, ReadPace pace) {
            return new LoopRecvAllocator(slots(server.bufSize() + 1, sessionBatch(server), server, pace, false));
        }

        @Override
        void configureSessionSocket(DatagramChannel channel, SocketProtocolFamily family, RecvByteBufAllocator allocator,
                ServerConfig server) {
            // Slots as on the listener: a peer's replies that queued up while the loop was busy
            // are read with one recvmmsg.
            channel.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, server.bufSize() + 1);
            channel.config().setRecvByteBufAllocator(allocator);
            channel.config().setOption(EpollChannelOption.EPOLL_MODE, EpollMode.LEVEL_TRIGGERED);
            channel.config().setWriteBufferWaterMark(Backpressure.SESSION);
            // Linux reports ICMP errors (port unreachable: a dead peer) to an unconnected socket
            // only with RECVERR. An IPv6 socket needs both: IPv4 peers, reached as mapped
            // addresses, answer with ICMPv4, which only IP_RECVERR lets through.
            setRecvErr(channel, IP_RECVERR);
            if (family == SocketProtocolFamily.INET6) {
                setRecvErr(channel, IPV6_RECVERR);
            }
        }

        @Override
        InetSocketAddress bindSessionSocket(DatagramChannel channel, InetSocketAddress local) throws IOException {
            // On the descriptor, not through Netty, which would keep the bound address in the
            // channel: a hundred bytes of heap per session that nothing here reads.
            Socket socket = (Socket) ((EpollDatagramChannel) channel).fd();
            socket.bind(local);
            return socket.localAddress();
        }

        @Override
        int fd(DatagramChannel channel) {
            return ((EpollDatagramChannel) channel).fd().intValue();
        }

        @Override
        long drops(DatagramChannel channel) {
            try {
                ByteBuffer meminfo = channel.config().getOption(SO_MEMINFO).order(ByteOrder.nativeOrder());
                return Integer.toUnsignedLong(meminfo.getInt(SK_MEMINFO_DROPS * Integer.BYTES));
            } catch (RuntimeException e) {
                // An old kernel without SO_MEMINFO, or the socket is gone: nothing to hand over.
                return -1;
            }
        }

        @Override
        void purgeErrorQueue(DatagramChannel channel) {
            if (channel.isOpen()) {
                // Clearing IP_RECVERR empties the socket's one error queue, IPv6 reports included.
                setRecvErr(channel, IP_RECVERR, OFF);
                setRecvErr(channel, IP_RECVERR, ON);
            }
        }
    },

    NIO {
        @Override
        IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        DatagramChannel newChannel(SocketProtocolFamily family) {
            return new NioDatagramChannel(family);
        }

        @Override
        boolean reusePort() {
            try (java.nio.channels.DatagramChannel probe = java.nio.channels.DatagramChannel.open()) {
                return probe.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        void configureListener(DatagramChannel channel, ServerConfig server, boolean shared, ReadPace pace) {
            if (shared) {
                channel.config().setOption(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
            }
            channel.config().setRecvByteBufAllocator(
                    new FixedRecvByteBufAllocator(server.bufSize() + 1).maxMessagesPerRead(server.batchSize()));
        }

        @Override
        void recordDestination(DatagramChannel channel) {
            // Java NIO cannot report a datagram's destination: the wildcard socket serves every
            // address it has no socket for, its replies' source chosen by the kernel.
        }

        @Override
        boolean segmentation() {
            return false;
        }

        @Override
        RecvByteBufAllocator sessionAllocator(ServerConfig server, ReadPace pace) {
            return new LoopRecvAllocator(new FixedRecvByteBufAllocator(server.bufSize() + 1)
                    .maxMessagesPerRead(sessionBatch(server)));
        }

        @Override
        void configureSessionSocket(DatagramChannel channel, SocketProtocolFamily family, RecvByteBufAllocator allocator,
                ServerConfig server) {
            channel.config().setRecvByteBufAllocator(allocator);
            channel.config().setWriteBufferWaterMark(Backpressure.SESSION);
        }

        @Override
        InetSocketAddress bindSessionSocket(DatagramChannel channel, InetSocketAddress local) throws IOException {
            ChannelFuture bound = channel.bind(local);
            if (!bound.isDone()) {
                throw new IOException("bind of a session socket did not complete on its event loop");
            }
            if (!bound.isSuccess()) {
                Throwable cause = bound.cause();
                throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
            }
            return channel.localAddress();
        }

        @Override
        int fd(DatagramChannel channel) {
            return -1;
        }

        @Override
        long drops(DatagramChannel channel) {
            return -1;
        }

        @Override
        void purgeErrorQueue(DatagramChannel channel) {
            // Java NIO cannot set RECVERR: no ICMP error is queued on its sockets.
        }
    };

    /**
     * Reads of {@code maxSlots} slots, or of one where traffic is light ({@code Server.AdaptiveBatch});
     * see {@link SlotRecvAllocator} for {@code pace} and {@code listener}.
     */
    private static RecvByteBufAllocator slots(int slotBytes, int maxSlots, ServerConfig server, ReadPace pace,
            boolean listener) {
        return server.adaptiveBatch() ? new SlotRecvAllocator(slotBytes, maxSlots, pace, listener)
                : new FixedRecvByteBufAllocator(maxSlots * slotBytes).maxMessagesPerRead(1);
    }

    /** {@code IP_RECVERR} (linux/in.h), at level {@code SOL_IP}. */
    private static final IntegerUnixChannelOption IP_RECVERR = new IntegerUnixChannelOption("IP_RECVERR", 0, 11);
    /** {@code IPV6_RECVERR} (linux/in6.h), at level {@code SOL_IPV6}. */
    private static final IntegerUnixChannelOption IPV6_RECVERR = new IntegerUnixChannelOption("IPV6_RECVERR", 41, 25);
    /**
     * SO_MEMINFO (SOL_SOCKET 1, option 55): the socket's memory counters, nine 32-bit integers in
     * Linux 4.x and later, the last of them (SK_MEMINFO_DROPS) what its full receive buffer dropped.
     */
    private static final RawUnixChannelOption SO_MEMINFO = new RawUnixChannelOption("SO_MEMINFO", 1, 55, 9 * Integer.BYTES);
    private static final int SK_MEMINFO_DROPS = 8;
    private static final Integer ON = 1;
    private static final Integer OFF = 0;

    private static void setRecvErr(DatagramChannel channel, IntegerUnixChannelOption option) {
        setRecvErr(channel, option, ON);
    }

    private static void setRecvErr(DatagramChannel channel, IntegerUnixChannelOption option, Integer value) {
        if (!channel.config().setOption(option, value)) {
            throw new IllegalStateException(option.name() + " is not supported by " + channel.getClass().getName());
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    /** Native epoll when it loads, else NIO with a warning that says why. */
    public static Transport best() {
        if (Epoll.isAvailable()) {
            return EPOLL;
        }
        log.warn("native epoll is unavailable ({}): using Java NIO, without recvmmsg/sendmmsg batching",
                String.valueOf(Epoll.unavailabilityCause()));
        return NIO;
    }

    abstract IoHandlerFactory ioHandlerFactory();

    abstract DatagramChannel newChannel(SocketProtocolFamily family);

    /** Whether datagrams to one address can leave as one segmented send (UDP GSO, {@link Segments}). */
    abstract boolean segmentation();

    /** Whether several sockets can share the listening address (SO_REUSEPORT). */
    abstract boolean reusePort();

    /**
     * Options of a listening socket; {@code shared} when several listeners bind the same address;
     * {@code pace} is its event loop's ({@link SlotRecvAllocator}).
     */
    abstract void configureListener(DatagramChannel channel, ServerConfig server, boolean shared, ReadPace pace);

    /**
     * Makes a wildcard listening socket report each datagram's destination address as the
     * packet's recipient, where the transport can.
     */
    abstract void recordDestination(DatagramChannel channel);

    /** Options every listening socket gets, whatever the transport. */
    static void configureAnyListener(DatagramChannel channel, ServerConfig server) {
        channel.config().setReceiveBufferSize(server.recvBufBytes());
        channel.config().setWriteBufferWaterMark(Backpressure.LISTENER);
    }

    /**
     * Datagrams read from a session socket at once, at most. Each read takes a buffer of this many
     * slots from the pool: 16 slots of the default BufSize (64 KiB) read a flood's replies with a
     * third of the system calls of 4 slots, while 32 slots (128 KiB) cost a tenth more CPU per
     * reply, the buffer being too large for the allocator's cache (docs/performance.md).
     */
    static final int SESSION_BATCH = 16;

    static int sessionBatch(ServerConfig server) {
        return Math.min(server.batchSize(), SESSION_BATCH);
    }

    /** The receive allocator every session socket of one loop shares; one per loop, with the loop's {@code pace}. */
    abstract RecvByteBufAllocator sessionAllocator(ServerConfig server, ReadPace pace);

    /** Options of a session's upstream socket, of {@code family}. */
    abstract void configureSessionSocket(DatagramChannel channel, SocketProtocolFamily family,
            RecvByteBufAllocator allocator, ServerConfig server);

    /**
     * Binds a registered session socket to {@code local} (a port of 0: the kernel's choice). Call on
     * the socket's loop. A failed bind leaves the socket open and unbound, so another address may
     * be tried.
     *
     * @return the address and port it is bound to
     */
    abstract InetSocketAddress bindSessionSocket(DatagramChannel channel, InetSocketAddress local) throws IOException;

    /** The socket's file descriptor, or -1 where the transport does not expose it (NIO). */
    abstract int fd(DatagramChannel channel);

    /** What the kernel dropped at {@code channel}'s full receive buffer so far, or -1 if it cannot say. */
    abstract long drops(DatagramChannel channel);

    /**
     * Drops the ICMP error reports queued on a session socket. Netty cannot read them
     * (MSG_ERRQUEUE), and while one is queued epoll reports the socket in error on every turn,
     * so the loop would spin. Call on the socket's loop whenever a report may have been queued.
     */
    abstract void purgeErrorQueue(DatagramChannel channel);
}
