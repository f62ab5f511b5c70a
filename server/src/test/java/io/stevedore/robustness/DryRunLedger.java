package io.stevedore.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.Addresses;
import io.stevedore.dryrun.Decision;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.io.IOException;
import java.nio.channels.DatagramChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the dry run said of each datagram sent to a daemon, to hold the daemon to: the datagrams
 * each peer must receive and the count of each drop reason.
 */
final class DryRunLedger {

    final Map<String, Fingerprints> expectedAt = new HashMap<>();
    final Map<String, Long> expectedDrops = new HashMap<>();

    void record(Decision decision, byte[] datagram) {
        if (decision.peer() != null) {
            expectedAt.computeIfAbsent(decision.peer(), p -> new Fingerprints()).add(datagram);
        } else {
            expectedDrops.merge(decision.drop(), 1L, Long::sum);
        }
    }

    /** Waits until the daemon has read {@code sent} datagrams and each has arrived or was dropped. */
    static void settle(long sent, Counters counters, List<RecordingBackend> backends) {
        Poll.until(Poll.DEFAULT_TIMEOUT, "the daemon has read and settled " + sent + " datagrams",
                () -> counters.total(LoopCounter.RECEIVED_DATAGRAMS) == sent
                        && arrived(backends) + dropped(counters) == sent);
    }

    void assertTheDaemonAgreed(Counters counters, List<RecordingBackend> backends) {
        for (RecordingBackend backend : backends) {
            String peer = Addresses.format(backend.address());
            assertThat(backend.received().differenceFrom(expectedAt.getOrDefault(peer, new Fingerprints())))
                    .as("datagrams at %s against the dry run's", peer).isEmpty();
        }
        for (DropReason reason : DropReason.values()) {
            assertThat(counters.dropped(reason)).as("drops as %s against the dry run's", reason.label())
                    .isEqualTo(expectedDrops.getOrDefault(reason.label(), 0L));
        }
    }

    /** Ends a run: the daemon (when it started), then the clients and the backends. */
    static void close(Daemon daemon, List<DatagramChannel> clients, List<RecordingBackend> backends) throws IOException {
        if (daemon != null) {
            daemon.close();
        }
        for (DatagramChannel client : clients) {
            client.close();
        }
        backends.forEach(RecordingBackend::close);
    }

    static long arrived(List<RecordingBackend> backends) {
        return backends.stream().mapToLong(RecordingBackend::count).sum();
    }

    private static long dropped(Counters counters) {
        long total = 0;
        for (DropReason reason : DropReason.values()) {
            total += counters.dropped(reason);
        }
        return total;
    }
}
