package io.stevedore.transport;

import io.netty.channel.Channel;
import io.netty.channel.WriteBufferWaterMark;

/**
 * Bounds what waits in a socket's outbound queue. A queued datagram is a slice of the receive
 * batch it was read in and keeps that whole buffer alive, so a socket the kernel stops taking
 * datagrams from (EAGAIN: send buffer full) would otherwise grow direct memory until allocation
 * fails and forwarding stops. Past the high water mark the datagram is dropped and counted instead.
 */
final class Backpressure {

    /**
     * The listener carries every session's replies to clients, written through a whole event-loop
     * turn and flushed once: 1 MiB is hundreds of typical replies, one sendmmsg's worth, before a
     * flush is forced; it reopens at 256 KiB so a backed-up socket is not retried per datagram.
     */
    static final WriteBufferWaterMark LISTENER = new WriteBufferWaterMark(256 << 10, 1 << 20);

    /**
     * A session socket carries one client's datagrams toward its peer, flushed after each read
     * batch. 256 KiB holds several of the largest datagrams (BufSize is at most 64 KiB) so a burst
     * still leaves in one sendmmsg, and is a quarter of the listener's bound: there are many of
     * these sockets, each only one client's share.
     */
    static final WriteBufferWaterMark SESSION = new WriteBufferWaterMark(64 << 10, 256 << 10);

    private Backpressure() {
    }

    /**
     * Whether {@code channel} cannot take another datagram. Writes between flushes count toward
     * the mark, so above it the queue is flushed first: only what the kernel refuses keeps the
     * socket unwritable. A closed socket is not backed up; its write fails and is counted as such.
     * Datagrams a read batch holds in the {@link Outbox} for a session socket are not in the
     * channel yet and do not count: they are at most one batch (BatchSize datagrams).
     * Writable, this is one volatile read.
     */
    static boolean backedUp(Channel channel) {
        if (channel.isWritable()) {
            return false;
        }
        channel.flush();
        return !channel.isWritable() && channel.isActive();
    }
}
