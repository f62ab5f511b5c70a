package io.stevedore.protocols;

import io.jpower.kcp.netty.Kcp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One UDP socket carrying KCP conversations, each a {@link Kcp} (kcp-netty's port of the reference
 * ikcp.c) keyed by its conv id, the first four bytes of every KCP datagram. One thread drives the
 * socket and every conversation on it, because a {@code Kcp} is not thread-safe; other threads
 * reach it through {@link #execute(Runnable)}.
 */
abstract class KcpEndpoint implements AutoCloseable {

    /** Window and timers of a fast KCP link (the reference "turbo" mode): no delay, 10 ms, fast resend after 2. */
    private static final int WINDOW = 256;
    private static final int INTERVAL_MS = 10;
    private static final int FAST_RESEND = 2;

    private final String name;
    private final InetSocketAddress localAddress;
    private final DatagramChannel channel;
    private final Selector selector;
    private final Map<Integer, Conversation> conversations = new HashMap<>();
    private final List<Conversation> received = new ArrayList<>();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final ByteBuffer datagram = ByteBuffer.allocate(65536).order(ByteOrder.LITTLE_ENDIAN);
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Throwable failure;

    /** A KCP conversation: its state machine and the address its datagrams go to. */
    final class Conversation {
        final int conv;
        final Kcp kcp;
        InetSocketAddress remote;
        private int nextUpdate;

        private Conversation(int conv, InetSocketAddress remote) {
            this.conv = conv;
            this.remote = remote;
            this.kcp = new Kcp(conv, (data, kcp) -> output(data));
            kcp.nodelay(true, INTERVAL_MS, FAST_RESEND, true);
            kcp.wndsize(WINDOW, WINDOW);
            this.nextUpdate = now();
        }

        /** Queues {@code message}'s readable bytes (the caller keeps the buffer); they leave at the next update, due now. */
        void send(ByteBuf message) {
            int length = message.readableBytes();
            if (kcp.send(message) < 0) {
                throw new IllegalStateException("conv " + conv + ": message of " + length + " bytes refused");
            }
            nextUpdate = now();
        }

        /** Messages and fragments not yet acknowledged by the other side. */
        int unacknowledged() {
            return kcp.waitSnd();
        }

        private void output(ByteBuf data) {
            try {
                channel.send(data.nioBuffer(), remote);
            } catch (IOException lost) {
                // a datagram that cannot leave is a lost datagram: KCP sends it again
            } finally {
                data.release();
            }
        }
    }

    KcpEndpoint(String name, InetSocketAddress bind) {
        this.name = name;
        try {
            channel = DatagramChannel.open();
            channel.bind(bind);
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            localAddress = (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind " + name + " to " + bind, e);
        }
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /** Starts the endpoint's thread; call once the subclass is fully built. */
    final void start() {
        thread.start();
    }

    final String name() {
        return name;
    }

    final InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Runs {@code task} on the endpoint's thread. */
    final void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Why the endpoint's thread died, or null while it is well. */
    final Throwable failure() {
        return failure;
    }

    /** Opens conversation {@code conv} toward {@code remote}; endpoint thread only. */
    final Conversation open(int conv, InetSocketAddress remote) {
        Conversation conversation = new Conversation(conv, remote);
        conversations.put(conv, conversation);
        return conversation;
    }

    /** The open conversation {@code conv}, or null; endpoint thread only. */
    final Conversation conversation(int conv) {
        return conversations.get(conv);
    }

    /** The conversation a datagram with {@code conv} from {@code from} belongs to, or null to drop it. */
    abstract Conversation conversationFor(int conv, InetSocketAddress from);

    /** A whole message arrived on {@code conversation}; the buffer is released after the call. */
    abstract void onMessage(Conversation conversation, ByteBuf message);

    /** Called after every round of receiving, to queue more to send. */
    void pump() {
    }

    private int now() {
        return (int) ((System.nanoTime() - startNanos) / 1_000_000);
    }

    private void run() {
        try {
            while (!closed) {
                for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
                    task.run();
                }
                int now = now();
                int wait = INTERVAL_MS;
                for (Conversation c : conversations.values()) {
                    if (now - c.nextUpdate >= 0) {
                        c.kcp.update(now);
                        c.nextUpdate = c.kcp.check(now);
                    }
                    wait = Math.min(wait, c.nextUpdate - now);
                }
                selector.select(Math.max(1, wait));
                selector.selectedKeys().clear();
                receiveAll();
                pump();
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            for (Conversation c : conversations.values()) {
                c.kcp.release();
            }
            conversations.clear();
            try {
                selector.close();
                channel.close();
            } catch (IOException ignored) {
                // closing: nothing left to tell anyone
            }
        }
    }

    private void receiveAll() throws IOException {
        for (SocketAddress from = receive(); from != null; from = receive()) {
            if (datagram.remaining() < Kcp.IKCP_OVERHEAD) {
                continue;
            }
            Conversation c = conversationFor(datagram.getInt(0), (InetSocketAddress) from);
            if (c == null) {
                continue;
            }
            ByteBuf input = ByteBufAllocator.DEFAULT.heapBuffer(datagram.remaining()).writeBytes(datagram);
            try {
                c.kcp.input(input);
            } finally {
                input.release();
            }
            if (!received.contains(c)) {
                received.add(c);
            }
        }
        int now = now();
        for (Conversation c : received) {
            while (c.kcp.canRecv()) {
                ByteBuf message = ByteBufAllocator.DEFAULT.heapBuffer(c.kcp.peekSize());
                try {
                    c.kcp.recv(message);
                    onMessage(c, message);
                } finally {
                    message.release();
                }
            }
            // Acknowledge at once rather than at the next tick: the sender's window moves sooner.
            c.kcp.update(now);
            c.nextUpdate = c.kcp.check(now);
        }
        received.clear();
    }

    private SocketAddress receive() throws IOException {
        datagram.clear();
        SocketAddress from = channel.receive(datagram);
        datagram.flip();
        return from;
    }

    /** Stops the thread; every conversation's buffers are released and the socket closed. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
