package io.stevedore.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.testing.Client;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A listening socket holds {@code Server.FloodRecvBufBytes} while the kernel drops at it and
 * {@code Server.RecvBufBytes} otherwise: overflowed for real by holding its loop, it shrinks as
 * soon as the loop reads again, and grows back after a second without drops; a burst the loop
 * keeps up with, however full its reads, leaves it alone.
 */
@ExtendWith(NettyLeakCheck.class)
class FloodWatchTest {

    /** Asked: 128 KiB granted, about a hundred and fifty small datagrams. */
    private static final int CALM = 64 << 10;
    private static final int FLOOD = 8 << 10;
    private static final int SENT = 1000;

    @Test
    void aListenerTheKernelDropsAtShrinksAndGetsItsBufferBackAfterASecondWithoutDrops() throws Exception {
        try (Daemon daemon = ControlPlane.startDataPlane(new TestConfig().recvBufBytes(CALM)
                .floodRecvBufBytes(FLOOD).build(), Transport.EPOLL);
                Client client = new Client(daemon.listenAddress())) {
            int port = daemon.listenAddress().getPort();
            Listener listener = daemon.worker(0).listeners().get(0);
            assertThat(buffer(listener)).as("granted before any drop: twice RecvBufBytes").isEqualTo(2 * CALM);
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (int i = 0; i < SENT; i++) {
                    client.send(new byte[64]);
                }
                Poll.until("the kernel drops at the held listener", () -> OverflowTest.kernelDrops(port) > 0);
            }
            Poll.until("the listener shrunk to twice FloodRecvBufBytes", () -> buffer(listener) == 2 * FLOOD);
            long shrunkAt = System.nanoTime();
            assertThat(daemon.counters().loop(0, LoopCounter.LISTENER_SHRINKS)).isEqualTo(1);
            Poll.equal("every datagram read or dropped by the kernel", SENT,
                    () -> daemon.counters().dropped(DropReason.NO_ROUTE) + daemon.counters().dropped(DropReason.OVERFLOW));

            Poll.until(Duration.ofSeconds(10), "the listener's buffer back to twice RecvBufBytes",
                    () -> buffer(listener) == 2 * CALM);
            assertThat(System.nanoTime() - shrunkAt).as("not before a second without drops")
                    .isGreaterThanOrEqualTo(FloodWatch.CALM_NANOS - Duration.ofMillis(100).toNanos());
            assertThat(daemon.counters().loop(0, LoopCounter.LISTENER_SHRINKS)).isEqualTo(1);

            // It keeps serving: the next datagram is read and counted.
            long read = daemon.counters().total(LoopCounter.RECEIVED_DATAGRAMS);
            client.send(new byte[64]);
            Poll.equal("a datagram after the flood", read + 1, () -> daemon.counters().total(LoopCounter.RECEIVED_DATAGRAMS));
        }
    }

    @Test
    void fullReadsWithoutDropsLeaveTheBufferAlone() throws Exception {
        // The default 4 MiB of TestConfig holds the whole burst: every read of the backlog fills the
        // batch, and the kernel drops nothing.
        try (Daemon daemon = ControlPlane.startDataPlane(new TestConfig().floodRecvBufBytes(FLOOD)
                .build(), Transport.EPOLL);
                Client client = new Client(daemon.listenAddress())) {
            int port = daemon.listenAddress().getPort();
            Listener listener = daemon.worker(0).listeners().get(0);
            int granted = buffer(listener);
            try (HeldLoop held = HeldLoop.on(daemon.worker(0))) {
                for (int i = 0; i < SENT; i++) {
                    client.send(new byte[64]);
                }
            }
            Poll.equal("every datagram read", SENT, () -> daemon.counters().dropped(DropReason.NO_ROUTE));
            assertThat(OverflowTest.kernelDrops(port)).isZero();
            assertThat(daemon.counters().loop(0, LoopCounter.LISTENER_SHRINKS)).isZero();
            assertThat(buffer(listener)).isEqualTo(granted);
        }
    }

    private static int buffer(Listener listener) {
        return listener.channel.config().getReceiveBufferSize();
    }
}
