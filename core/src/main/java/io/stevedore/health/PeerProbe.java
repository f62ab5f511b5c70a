package io.stevedore.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import java.net.PortUnreachableException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes one peer through its own connected UDP socket. Connecting is what makes the kernel hand
 * an ICMP port unreachable back to this socket (as ECONNREFUSED on the next receive, which Netty
 * raises as {@link PortUnreachableException}); it also filters out datagrams from anyone else.
 *
 * <p>Everything here runs on the health event loop: the socket's events, the timer, and the
 * verdicts, which {@link PeerStates} applies to the upstream on its own thread.
 */
final class PeerProbe {

    /**
     * What a probe of unchanged settings continues after a reload: its streak and when its next
     * probe is due ({@link System#nanoTime()}).
     */
    record Kept(PeerHealth.Streak streak, long nextSendAtNanos) {
    }

    private static final Logger log = LoggerFactory.getLogger(PeerProbe.class);

    private final Upstream upstream;
    private final Peer peer;
    private final byte[] payload;
    private final ProbeCounts counts;
    private final PeerStates states;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final ProbeCycle cycle;
    private final PeerHealth health;
    private Channel channel;
    private ScheduledFuture<?> wakeup;
    /**
     * The verdict handed to {@link #states} and not yet applied: until it is, the upstream still
     * shows the state it overturns, which would read as a change nobody here made and restart
     * the streak.
     */
    private Transition pending;

    /**
     * @param kept the state of the probe this one succeeds, or empty to start afresh: first probe
     *             at once, streak counted from the peer's current state
     */
    PeerProbe(Upstream upstream, Peer peer, ProbeSettings settings, ProbeCounts counts, PeerStates states,
              EventLoop loop, ChannelFactory<? extends Channel> channels, Optional<Kept> kept) {
        this.upstream = upstream;
        this.peer = peer;
        this.payload = settings.send();
        this.counts = counts;
        this.states = states;
        this.loop = loop;
        this.bootstrap = new Bootstrap().group(loop).channelFactory(channels).handler(new Replies());
        this.cycle = new ProbeCycle(settings, kept.map(Kept::nextSendAtNanos).orElseGet(System::nanoTime));
        this.health = kept.isPresent()
                ? new PeerHealth(settings.successTimes(), settings.failedTimes(), kept.get().streak())
                : new PeerHealth(settings.successTimes(), settings.failedTimes(), upstream.isUp(peer.index()));
    }

    /** This probe's state for a successor; only once the health loop has stopped, or on it. */
    Kept kept(long nowNanos) {
        return new Kept(health.streak(), cycle.resumeAt(nowNanos));
    }

    /** Starts probing; the first probe goes out at once. Call on the health loop. */
    void start() {
        tick();
    }

    private void tick() {
        long now = System.nanoTime();
        conclude(cycle.expired(now));
        if (cycle.due(now)) {
            cycle.sent(now);
            send();
        }
        schedule();
    }

    private void schedule() {
        if (wakeup != null) {
            wakeup.cancel(false);
        }
        long delay = Math.max(0, cycle.wakeAt() - System.nanoTime());
        wakeup = loop.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
    }

    private void send() {
        if (channel != null) {
            write(channel);
            return;
        }
        // A socket that cannot be opened (no route to an IPv6 peer, descriptors exhausted) fails
        // the round like a refused probe, and the next round tries again.
        bootstrap.connect(peer.address()).addListener((ChannelFuture opened) -> {
            if (opened.isSuccess()) {
                channel = opened.channel();
                write(channel);
            } else {
                opened.channel().close();
                concludeEarly(cycle.failed("cannot open probe socket: " + opened.cause().getMessage()));
            }
        });
    }

    private void write(Channel target) {
        target.writeAndFlush(Unpooled.wrappedBuffer(payload)).addListener((Future<? super Void> written) -> {
            if (!written.isSuccess() && target == channel) {
                Throwable cause = written.cause();
                concludeEarly(refused(cause) ? cycle.portUnreachable() : cycle.failed("send failed: " + cause.getMessage()));
            }
        });
    }

    /** A round that ended before its deadline: the next wakeup moves from the deadline to the next send. */
    private void concludeEarly(Optional<ProbeResult> result) {
        if (result.isPresent()) {
            conclude(result);
            schedule();
        }
    }

    private void conclude(Optional<ProbeResult> ended) {
        // A checker being closed (a reload, new peers from DNS, the stop) fails what it still had in
        // flight: "executor not accepting a task" says nothing of the peer, whose successor probes on.
        if (ended.isEmpty() || loop.isShuttingDown()) {
            return;
        }
        ProbeResult result = ended.get();
        int index = peer.index();
        counts.record(index, result.success());
        if (!result.success()) {
            log.debug("upstream {} peer {}: probe failed: {}", upstream.name(), peer, result.detail());
        }
        boolean upNow = pending != null ? pending.up() : upstream.isUp(index);
        health.record(result, upNow).ifPresent(this::publish);
    }

    private void publish(Transition verdict) {
        pending = verdict;
        states.verdict(upstream, peer.index(), verdict.up(), verdict.reason(), loop, () -> {
            if (pending == verdict) {
                pending = null;
            }
        });
    }

    /** How a connected socket reports the kernel's ECONNREFUSED, i.e. an ICMP port unreachable. */
    private static boolean refused(Throwable cause) {
        return cause instanceof PortUnreachableException;
    }

    /** Shared by the successive sockets of this one peer, all on the same loop. */
    @ChannelHandler.Sharable
    private final class Replies extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (ctx.channel() == channel) {
                    ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
                    concludeEarly(cycle.replied(content));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() == channel) {
                concludeEarly(refused(cause) ? cycle.portUnreachable() : cycle.failed("receive failed: " + cause.getMessage()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == channel) {
                channel = null;
            }
        }
    }
}
