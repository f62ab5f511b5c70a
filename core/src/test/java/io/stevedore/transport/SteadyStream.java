package io.stevedore.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A paced stream of datagrams from many client sockets on 127.0.0.1, each its own session, and one
 * thread taking in every reply. Pacing keeps the load one the machine carries, so a loss means a
 * loss in the daemon, not an overflowing socket buffer.
 */
final class SteadyStream implements AutoCloseable {

    private final List<DatagramChannel> clients = new ArrayList<>();
    private final Selector selector;
    private final Thread receiver;
    private final int perSecond;
    private final int burst;
    private long start;

    /**
     * Opens {@code clients} sockets; {@link #send} keeps to {@code perSecond} datagrams, checked every
     * {@code burst} datagrams. {@code onReply} sees each reply (position at its end) on the receiving thread.
     */
    SteadyStream(int clients, int perSecond, int burst, Consumer<ByteBuffer> onReply) throws IOException {
        this.perSecond = perSecond;
        this.burst = burst;
        selector = Selector.open();
        try {
            for (int i = 0; i < clients; i++) {
                DatagramChannel client = DatagramChannel.open();
                this.clients.add(client);
                client.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                client.bind(new InetSocketAddress("127.0.0.1", 0));
                client.configureBlocking(false);
                client.register(selector, SelectionKey.OP_READ);
            }
        } catch (IOException | RuntimeException e) {
            closeSockets();
            throw e;
        }
        receiver = new Thread(() -> receive(onReply), "steady-stream-receiver");
        receiver.setDaemon(true);
        receiver.start();
    }

    /** Sends datagram {@code i} of the stream from client {@code i % clients}, on time. */
    void send(int i, ByteBuffer payload, InetSocketAddress target) throws IOException {
        if (start == 0) {
            start = System.nanoTime();
        }
        if (i % burst == 0) {
            long due = start + TimeUnit.SECONDS.toNanos(1) * i / perSecond;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
        }
        if (clients.get(i % clients.size()).send(payload, target) == 0) {
            throw new IOException("client socket buffer full at datagram " + i);
        }
    }

    /** Ends the receiving thread; replies after this are not seen. */
    void stopReceiving() {
        receiver.interrupt();
    }

    private void receive(Consumer<ByteBuffer> onReply) {
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        try {
            while (!Thread.currentThread().isInterrupted() && selector.isOpen()) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    DatagramChannel channel = (DatagramChannel) key.channel();
                    buffer.clear();
                    while (channel.receive(buffer) != null) {
                        onReply.accept(buffer);
                        buffer.clear();
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | ClosedSelectorException e) {
            // the stream is over
        }
    }

    private void closeSockets() throws IOException {
        selector.close();
        for (DatagramChannel client : clients) {
            client.close();
        }
    }

    @Override
    public void close() throws IOException {
        receiver.interrupt();
        closeSockets();
    }
}
