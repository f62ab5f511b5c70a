package io.stevedore.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The buffers a loop copies datagrams into before sending them: a segmented run, a PROXY header with
 * its payload. They live from one read batch to the flush that sends them. The pooled allocator's
 * per-thread cache hands them out and takes them back with their buffer objects, where Netty 4.2's
 * default allocator makes a new buffer object per call: about 67 bytes per datagram with a PROXY
 * header (docs/performance.md, "Allocation per datagram").
 */
final class CopyBuffers {

    private static final ByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;

    private CopyBuffers() {
    }

    /** A direct buffer of exactly {@code bytes}; its reference passes to the caller. */
    static ByteBuf of(int bytes) {
        return POOLED.directBuffer(bytes, bytes);
    }
}
