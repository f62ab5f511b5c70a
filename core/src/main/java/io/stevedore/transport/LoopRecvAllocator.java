package io.stevedore.transport;

import io.netty.channel.RecvByteBufAllocator;

/**
 * A receive allocator whose one handle serves every session socket of an event loop. Netty asks
 * each channel's allocator for a handle of its own and keeps it for the channel's life, about 70
 * bytes per session. The handle of a fixed-size allocator holds only the counts of the read in
 * progress, reset when a read starts; a loop runs one channel's read at a time, to the end, so its
 * channels can take turns with one handle. Never share it across loops.
 */
final class LoopRecvAllocator implements RecvByteBufAllocator {

    private final Handle handle;

    LoopRecvAllocator(RecvByteBufAllocator fixed) {
        this.handle = fixed.newHandle();
    }

    @Override
    public Handle newHandle() {
        return handle;
    }
}
