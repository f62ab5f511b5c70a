package io.stevedore.loadtool;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * One load run: the client sockets, their pacing and the tallies, all on one event loop thread,
 * so nothing is shared and nothing locks. Started by {@link #run(LoadSpec)}, which blocks until the
 * run has ended by itself.
 *
 * <p>The measured window is defined by send stamps: a datagram belongs to it if its stamp is in
 * {@code [windowStart, windowEnd)}, both when it is counted as sent and when its reply is counted as
 * received, so a reply to a warm-up datagram can never count and {@code received <= sent} holds.
 */
public final class LoadRun {

    /** Latencies above this are recorded as this: the histogram stays small. */
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /**
     * After sending stops, the run ends when every datagram of the window is answered, or once no
     * reply has come for this long (for a closed loop: its loss timeout, after which it would have
     * called the datagram lost anyway), or after twice that in any case.
     */
    private static final long DRAIN_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long DRAIN_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** A rate client that fell behind sends at most this much of the backlog at once, not a burst. */
    private static final long RATE_MAX_BACKLOG_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private enum Phase { WARMUP, MEASURE, DRAIN, DONE }

    private final LoadSpec spec;
    private final EventLoop loop;
    private final InetSocketAddress[] targets;
    private final Client[] clients;
    private final Promise<LoadResult> done;
    private final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
    private final BackendTally backends = new BackendTally();
    /** Per conversation: 1 + the index in {@link #backends} of the first backend that answered, 0 if none yet. */
    private final short[] firstBackend;
    private final boolean[] onSeveral;
    private final Runnable floodStep = this::floodStep;

    private Phase phase = Phase.WARMUP;
    private long windowStart;
    private long windowEnd;
    private long drainStart;
    private long lastReply;
    private String stoppedBy = "duration";

    private long totalSent;
    private long windowSent;
    private long windowReceived;
    private long resent;
    private long stray;
    private long sendErrors;
    private int answered;
    private int several;

    private long rateStart;
    private long rateSent;
    private int nextClient;

    private final CpuClock selfClock = CpuClock.ofSelf();
    private final CpuClock[] watched;
    private long selfCpuStart;
    private long[] cpuStart;
    private long selfCpu;
    private long[] cpu;

    private LoadRun(LoadSpec spec, EventLoop loop) {
        this.spec = spec;
        this.loop = loop;
        this.targets = spec.targets().toArray(new InetSocketAddress[0]);
        this.clients = new Client[spec.sockets()];
        this.done = loop.newPromise();
        this.firstBackend = new short[spec.conversations()];
        this.onSeveral = new boolean[spec.conversations()];
        this.watched = spec.cpuPids().stream().map(CpuClock::ofTree).toArray(CpuClock[]::new);
    }

    /** Runs {@code spec} to its end on a fresh event loop thread and returns what it measured. */
    public static LoadResult run(LoadSpec spec) throws InterruptedException {
        EventLoopGroup group = UdpTransport.newGroup(1, "load", true);
        LoadRun run = new LoadRun(spec, group.next());
        try {
            run.open(group);
            run.loop.execute(run::start);
            long bound = spec.warmup().plus(spec.duration()).plus(spec.lossTimeout().multipliedBy(2)).toNanos()
                    + TimeUnit.SECONDS.toNanos(10);
            return run.done.get(bound, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("load run failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("load run did not end in time", e);
        } finally {
            for (Client client : run.clients) {
                if (client != null && client.channel != null) {
                    client.channel.close();
                }
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private void open(EventLoopGroup group) {
        int maxDatagram = Math.max(spec.size(), Wire.HEADER_SIZE);
        for (int s = 0; s < clients.length; s++) {
            Client client = new Client(s);
            InetAddress target = targets[0].getAddress();
            InetSocketAddress local = new InetSocketAddress(spec.sourceIps().isEmpty()
                    ? Loopback.sameFamily(target)
                    : spec.sourceIps().get(s % spec.sourceIps().size()), 0);
            clients[s] = client;
            Future<?> bound = UdpTransport.bootstrap(group, spec.batch(), maxDatagram, target)
                    .handler(client)
                    .bind(local)
                    .awaitUninterruptibly();
            if (!bound.isSuccess()) {
                throw new IllegalStateException("cannot bind client socket " + s + " to "
                        + local + ": " + bound.cause().getMessage(), bound.cause());
            }
        }
    }

    private void start() {
        long now = System.nanoTime();
        lastReply = now;
        loop.schedule(this::startWindow, spec.warmup().toNanos(), TimeUnit.NANOSECONDS);
        switch (spec.shape()) {
            case FLOOD -> loop.execute(floodStep);
            case RATE -> {
                rateStart = now;
                long tick = Math.max(50_000L, Math.min(1_000_000L, (long) (2e9 / spec.rate())));
                loop.scheduleAtFixedRate(this::rateTick, 0, tick, TimeUnit.NANOSECONDS);
            }
            case CLOSED -> {
                for (Client client : clients) {
                    for (int slot = 0; slot < spec.window() && sending(); slot++) {
                        client.sendSlot(slot, now);
                    }
                    client.flushIfDirty();
                }
                long check = Math.max(1_000_000L, spec.lossTimeout().toNanos() / 2);
                loop.scheduleAtFixedRate(this::resendLost, check, check, TimeUnit.NANOSECONDS);
            }
        }
    }

    private boolean sending() {
        return phase == Phase.WARMUP || phase == Phase.MEASURE;
    }

    /**
     * The next stamp bucket after now: every datagram sent before this call carries a smaller stamp,
     * even one holding a window slot in its low bits.
     */
    private static long nextStampBucket() {
        return (System.nanoTime() & ~Wire.SLOT_MASK) + Wire.MAX_WINDOW;
    }

    private boolean inWindow(long stamp) {
        return phase != Phase.WARMUP && stamp - windowStart >= 0
                && (phase == Phase.MEASURE || stamp - windowEnd < 0);
    }

    private void startWindow() {
        if (phase != Phase.WARMUP) {
            return;
        }
        cpuStart = watchedCpu();
        selfCpuStart = selfClock.nanos();
        windowStart = nextStampBucket();
        phase = Phase.MEASURE;
        // Timed from the window's real start: a flood keeps the loop busy, and a timer set for the
        // end at start-up would close a window that opened late after only part of the duration.
        loop.schedule(this::endWindow, spec.duration().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void endWindow() {
        if (!sending()) {
            return;
        }
        if (phase == Phase.WARMUP) {
            // Stopped by the count bound before the window opened: an empty window.
            windowStart = nextStampBucket();
            cpuStart = watchedCpu();
            selfCpuStart = selfClock.nanos();
        }
        windowEnd = nextStampBucket();
        phase = Phase.DRAIN;
        cpu = watchedCpu();
        selfCpu = selfClock.nanos();
        drainStart = System.nanoTime();
        loop.scheduleAtFixedRate(this::checkDrained, DRAIN_CHECK_NANOS, DRAIN_CHECK_NANOS, TimeUnit.NANOSECONDS);
    }

    private void checkDrained() {
        long now = System.nanoTime();
        long quiet = spec.shape() == Shape.CLOSED ? spec.lossTimeout().toNanos() : DRAIN_QUIET_NANOS;
        boolean complete = windowReceived >= windowSent;
        if (phase == Phase.DRAIN && (complete || now - lastReply > quiet || now - drainStart > 2 * quiet)) {
            phase = Phase.DONE;
            done.setSuccess(result());
            // Every periodic task of this run ends with the loop: the caller shuts the group down.
        }
    }

    private long[] watchedCpu() {
        long[] nanos = new long[watched.length];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = watched[i].nanos();
        }
        return nanos;
    }

    private void countSent(long stamp) {
        totalSent++;
        if (inWindow(stamp)) {
            windowSent++;
        }
        if (totalSent >= spec.maxDatagrams()) {
            stoppedBy = "max-datagrams";
            endWindow();
        }
    }

    private void floodStep() {
        if (!sending()) {
            return;
        }
        long stamp = System.nanoTime();
        for (Client client : clients) {
            if (!client.channel.isWritable()) {
                continue;
            }
            for (int i = 0; i < spec.batch() && sending(); i++) {
                client.send(stamp);
            }
            client.flushIfDirty();
        }
        // Scheduled, not executed: a task queued from a task runs in the same turn of the loop, so
        // the flood would starve the reads; a due scheduled task waits for the next turn, after I/O.
        loop.schedule(floodStep, 0, TimeUnit.NANOSECONDS);
    }

    private void rateTick() {
        if (!sending()) {
            return;
        }
        long now = System.nanoTime();
        long due = (long) ((now - rateStart) * spec.rate() / 1e9) - rateSent;
        long backlog = Math.max(1, (long) (RATE_MAX_BACKLOG_NANOS * spec.rate() / 1e9));
        if (due > backlog) {
            rateSent += due - backlog;
            due = backlog;
        }
        for (long i = 0; i < due && sending(); i++) {
            clients[nextClient].send(now);
            nextClient = nextClient + 1 == clients.length ? 0 : nextClient + 1;
            rateSent++;
        }
        for (Client client : clients) {
            client.flushIfDirty();
        }
    }

    private void resendLost() {
        if (!sending()) {
            return;
        }
        long now = System.nanoTime();
        long timeout = spec.lossTimeout().toNanos();
        for (Client client : clients) {
            for (int slot = 0; slot < spec.window() && sending(); slot++) {
                if (now - client.slotStamps[slot] > timeout) {
                    resent++;
                    client.sendSlot(slot, now);
                }
            }
            client.flushIfDirty();
        }
    }

    private void received(Client client, ByteBuf content) {
        long now = System.nanoTime();
        lastReply = now;
        if (content.readableBytes() < Wire.HEADER_SIZE) {
            stray++;
            return;
        }
        int at = content.readerIndex();
        int conversation = content.getInt(at + Wire.CONV_OFFSET) - 1;
        int tag = content.getInt(at + Wire.BACKEND_OFFSET);
        long stamp = content.getLong(at + Wire.STAMP_OFFSET);
        if (conversation < 0 || conversation >= firstBackend.length) {
            stray++;
            return;
        }
        int backend = backends.indexOf(tag);
        int first = firstBackend[conversation];
        if (first == 0) {
            firstBackend[conversation] = (short) (backend + 1);
            answered++;
        } else if (first != backend + 1 && !onSeveral[conversation]) {
            onSeveral[conversation] = true;
            several++;
        }
        if (inWindow(stamp)) {
            windowReceived++;
            backends.count(backend);
            latency.recordValue(Math.max(0, Math.min(MAX_LATENCY_NANOS, now - stamp)));
        }
        if (spec.shape() == Shape.CLOSED && sending()) {
            int slot = (int) (stamp & Wire.SLOT_MASK);
            // Only the reply to the datagram now in its slot refills it: a late one already was.
            if (slot < spec.window() && client.slotStamps[slot] == stamp) {
                client.sendSlot(slot, now);
            }
        }
    }

    private LoadResult result() {
        double seconds = (windowEnd - windowStart) / 1e9;
        long lost = Math.max(0, windowSent - windowReceived);
        Map<Long, Double> cpuSeconds = new LinkedHashMap<>();
        for (int i = 0; i < cpu.length; i++) {
            long pid = spec.cpuPids().get(i);
            cpuSeconds.put(pid, cpu[i] < 0 || cpuStart[i] < 0 ? Double.NaN : (cpu[i] - cpuStart[i]) / 1e9);
        }
        return new LoadResult(
                spec.shape().label(),
                spec.describe(),
                seconds,
                windowSent,
                windowReceived,
                lost,
                windowSent == 0 ? 0 : 100.0 * lost / windowSent,
                seconds <= 0 ? 0 : windowReceived / seconds,
                seconds <= 0 ? 0 : windowSent / seconds,
                latencyMicros(),
                backends.windowCounts(),
                firstBackend.length,
                answered,
                several,
                resent,
                stray,
                sendErrors,
                stoppedBy,
                (selfCpu - selfCpuStart) / 1e9,
                cpuSeconds);
    }

    private LoadResult.Latency latencyMicros() {
        if (latency.getTotalCount() == 0) {
            return new LoadResult.Latency(0, 0, 0, 0, 0, 0);
        }
        return new LoadResult.Latency(
                latency.getTotalCount(),
                latency.getValueAtPercentile(50) / 1e3,
                latency.getValueAtPercentile(90) / 1e3,
                latency.getValueAtPercentile(99) / 1e3,
                latency.getValueAtPercentile(99.9) / 1e3,
                latency.getMaxValue() / 1e3);
    }

    /** One client socket: its conversations, its closed-loop window and its replies. */
    private final class Client extends ChannelInboundHandlerAdapter {
        private final int firstConversation;
        private final long[] slotStamps;
        private Channel channel;
        private int nextConversation;
        private boolean dirty;

        Client(int index) {
            this.firstConversation = index * spec.convsPerSocket() + 1;
            this.slotStamps = new long[spec.shape() == Shape.CLOSED ? spec.window() : 0];
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        void sendSlot(int slot, long now) {
            long stamp = (now & ~Wire.SLOT_MASK) | slot;
            slotStamps[slot] = stamp;
            send(stamp);
        }

        void send(long stamp) {
            int conversation = firstConversation + nextConversation;
            nextConversation = nextConversation + 1 == spec.convsPerSocket() ? 0 : nextConversation + 1;
            int size = spec.size();
            ByteBuf buf = channel.alloc().directBuffer(size, size);
            buf.writeInt(conversation).writeInt(0).writeLong(stamp).writeZero(size - Wire.HEADER_SIZE);
            channel.write(new DatagramPacket(buf, targets[conversation % targets.length]), channel.voidPromise());
            dirty = true;
            countSent(stamp);
        }

        void flushIfDirty() {
            if (dirty) {
                dirty = false;
                channel.flush();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            try {
                received(this, packet.content());
            } finally {
                packet.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flushIfDirty();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A send error loses that datagram, which the tallies show as lost, and is counted;
            // anything else is a fault of the tool and ends the run.
            if (cause instanceof IOException) {
                sendErrors++;
            } else {
                done.tryFailure(cause);
            }
        }
    }

    /** Replies per backend tag; a handful of backends, so a linear scan beats any map. */
    private static final class BackendTally {
        private static final int MAX = 64;
        private final int[] tags = new int[MAX];
        private final long[] counts = new long[MAX + 1];
        private int size;

        /** Index of {@code tag}, added if new; beyond {@link #MAX} backends, one shared index. */
        int indexOf(int tag) {
            for (int i = 0; i < size; i++) {
                if (tags[i] == tag) {
                    return i;
                }
            }
            if (size == MAX) {
                return MAX;
            }
            tags[size] = tag;
            return size++;
        }

        void count(int index) {
            counts[index]++;
        }

        Map<String, Long> windowCounts() {
            Map<String, Long> byName = new TreeMap<>();
            for (int i = 0; i < size; i++) {
                byName.put(Wire.name(tags[i]), counts[i]);
            }
            if (counts[MAX] > 0) {
                byName.put("other", counts[MAX]);
            }
            return byName;
        }
    }
}
