package io.stevedore.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.AbstractFuture;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.util.concurrent.TimeUnit;

/**
 * A write's promise that its event loop reuses, so that a datagram sent costs no promise on the
 * heap: Netty's own promises cannot be reset. Netty's outbound buffer settles it exactly once per
 * write, on the loop; the subclass acts on the outcome there and may then put the promise back on
 * its {@link FreeList} for the next write. Nobody listens to it or waits for it, so it keeps neither
 * listeners nor the failure's cause; those calls are refused.
 */
abstract class LoopPromise extends AbstractFuture<Void> implements ChannelPromise {

    private static final byte IDLE = 0;
    private static final byte PENDING = 1;
    private static final byte SUCCEEDED = 2;
    private static final byte FAILED = 3;

    private Channel channel;
    private byte state = IDLE;

    /** Makes this the promise of the next write on {@code channel}. */
    final void arm(Channel channel) {
        this.channel = channel;
        this.state = PENDING;
    }

    /** The write succeeded; called once per {@link #arm}. */
    abstract void succeeded();

    /** The write failed; called once per {@link #arm}. */
    abstract void failed(Throwable cause);

    @Override
    public final Channel channel() {
        return channel;
    }

    @Override
    public final boolean trySuccess(Void result) {
        if (state != PENDING) {
            return false;
        }
        state = SUCCEEDED;
        succeeded();
        return true;
    }

    @Override
    public final boolean trySuccess() {
        return trySuccess(null);
    }

    @Override
    public final boolean tryFailure(Throwable cause) {
        if (state != PENDING) {
            return false;
        }
        state = FAILED;
        failed(cause);
        return true;
    }

    @Override
    public final ChannelPromise setSuccess(Void result) {
        if (!trySuccess(result)) {
            throw new IllegalStateException("settled already: " + this);
        }
        return this;
    }

    @Override
    public final ChannelPromise setSuccess() {
        return setSuccess(null);
    }

    @Override
    public final ChannelPromise setFailure(Throwable cause) {
        if (!tryFailure(cause)) {
            throw new IllegalStateException("settled already: " + this, cause);
        }
        return this;
    }

    @Override
    public final boolean setUncancellable() {
        return true;
    }

    @Override
    public final boolean isCancellable() {
        return false;
    }

    @Override
    public final boolean cancel(boolean mayInterruptIfRunning) {
        return false;
    }

    @Override
    public final boolean isCancelled() {
        return false;
    }

    @Override
    public final boolean isDone() {
        return state == SUCCEEDED || state == FAILED;
    }

    @Override
    public final boolean isSuccess() {
        return state == SUCCEEDED;
    }

    @Override
    public final Throwable cause() {
        return null;
    }

    @Override
    public final Void getNow() {
        return null;
    }

    @Override
    public final boolean isVoid() {
        return false;
    }

    @Override
    public final ChannelPromise unvoid() {
        return this;
    }

    @Override
    public final ChannelPromise addListener(GenericFutureListener<? extends Future<? super Void>> listener) {
        throw refused();
    }

    @Override
    @SafeVarargs
    public final ChannelPromise addListeners(GenericFutureListener<? extends Future<? super Void>>... listeners) {
        throw refused();
    }

    @Override
    public final ChannelPromise removeListener(GenericFutureListener<? extends Future<? super Void>> listener) {
        throw refused();
    }

    @Override
    @SafeVarargs
    public final ChannelPromise removeListeners(GenericFutureListener<? extends Future<? super Void>>... listeners) {
        throw refused();
    }

    @Override
    public final ChannelPromise sync() {
        throw refused();
    }

    @Override
    public final ChannelPromise syncUninterruptibly() {
        throw refused();
    }

    @Override
    public final ChannelPromise await() {
        throw refused();
    }

    @Override
    public final ChannelPromise awaitUninterruptibly() {
        throw refused();
    }

    @Override
    public final boolean await(long timeout, TimeUnit unit) {
        throw refused();
    }

    @Override
    public final boolean await(long timeoutMillis) {
        throw refused();
    }

    @Override
    public final boolean awaitUninterruptibly(long timeout, TimeUnit unit) {
        throw refused();
    }

    @Override
    public final boolean awaitUninterruptibly(long timeoutMillis) {
        throw refused();
    }

    private static UnsupportedOperationException refused() {
        return new UnsupportedOperationException("a loop's reused promise is settled on the loop, never awaited");
    }
}
