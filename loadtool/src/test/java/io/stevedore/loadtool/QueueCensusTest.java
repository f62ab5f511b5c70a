package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a socket holds unread, read from the kernel's tables, for a real socket of this process. */
class QueueCensusTest {

    private static final long SELF = ProcessHandle.current().pid();
    private static final int DATAGRAMS = 20;

    @Test
    void aSocketNobodyReadsShowsItsQueueAndTheCensusAveragesIt() throws Exception {
        try (DatagramChannel unread = DatagramChannel.open(); DatagramChannel sender = DatagramChannel.open()) {
            unread.bind(new InetSocketAddress("127.0.0.1", 0));
            for (int i = 0; i < DATAGRAMS; i++) {
                sender.send(ByteBuffer.allocate(64), unread.getLocalAddress());
            }
            List<SocketDropCounter> self = List.of(SocketDropCounter.ofProcess(SELF));
            // Loopback delivers within the send, but poll rather than trust that.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            long queued = 0;
            while (queued < DATAGRAMS * 64L && System.nanoTime() < deadline) {
                queued = SocketDropCounter.queued(self)[0];
                Thread.sleep(10);
            }
            assertThat(queued).as("bytes unread, each datagram with its buffer's overhead")
                    .isGreaterThanOrEqualTo(DATAGRAMS * 64L);

            QueueCensus census = QueueCensus.start(Optional.of(SELF), SELF, SELF, Duration.ZERO, Duration.ofMillis(300));
            QueueCensus.Queued mean;
            try {
                Optional<QueueCensus.Queued> result = census.result();
                while (result.map(r -> r.samples() < 3).orElse(true) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    result = census.result();
                }
                mean = result.orElseThrow();
            } finally {
                census.close();
            }
            assertThat(mean.proxy()).isEqualTo((double) queued);
            assertThat(mean.echo()).isEqualTo((double) queued);
            assertThat(mean.client()).isEqualTo((double) queued);
        }
    }

    @Test
    void theDirectPathHasNoProxyColumn() throws Exception {
        QueueCensus census = QueueCensus.start(Optional.empty(), SELF, SELF, Duration.ZERO, Duration.ofMillis(200));
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (census.result().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(census.result()).hasValueSatisfying(q -> assertThat(q.proxy()).isNull());
        } finally {
            census.close();
        }
    }
}
