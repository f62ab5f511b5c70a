package io.stevedore.balancing;

import static io.stevedore.balancing.Upstreams.chash;
import static io.stevedore.balancing.Upstreams.peer;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.PeerConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Writers on several threads change health while a reader selects: no update is lost, and every
 * snapshot a reader sees is whole (its table names only peers up in that same snapshot).
 */
class HealthConcurrencyTest {

    @Test
    void concurrentWritersLoseNoUpdateAndReadersSeeWholeSnapshots() throws Exception {
        int writers = 4;
        int peersPerWriter = 2;
        List<PeerConfig> peers = new ArrayList<>();
        for (int i = 0; i < writers * peersPerWriter; i++) {
            peers.add(peer(i, 1 + i % 3));
        }
        peers.add(peer(writers * peersPerWriter, 1, true));
        Upstream u = Upstream.of(chash(new KeyBytes(0, 4), 997, peers));
        boolean[] finalState = new boolean[peers.size()];
        Arrays.fill(finalState, true);

        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        try {
            Future<Integer> reader = pool.submit(() -> {
                Selector selector = u.newSelector();
                ByteBuf d = Unpooled.buffer(8);
                int checked = 0;
                try {
                    start.await();
                    while (writing.get() || checked == 0) {
                        Snapshot s = u.snapshot();
                        if (s.table != null) {
                            for (int e = 0; e < s.table.length; e += 13) {
                                assertThat(s.up[s.table[e]]).isTrue();
                            }
                        }
                        int picked = Upstreams.selectKey(selector, d, checked);
                        assertThat(picked).isBetween(Selector.NO_PEER, peers.size() - 1);
                        checked++;
                    }
                } finally {
                    d.release();
                }
                return checked;
            });
            List<Future<?>> writes = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int first = w * peersPerWriter;
                Random random = new Random(w);
                for (int p = first; p < first + peersPerWriter; p++) {
                    finalState[p] = random.nextBoolean();
                }
                writes.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 300; i++) {
                        int p = first + random.nextInt(peersPerWriter);
                        u.setPeerUp(p, random.nextBoolean(), "concurrency test");
                    }
                    for (int p = first; p < first + peersPerWriter; p++) {
                        u.setPeerUp(p, finalState[p], "concurrency test, final");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : writes) {
                f.get(60, TimeUnit.SECONDS);
            }
            writing.set(false);
            assertThat(reader.get(60, TimeUnit.SECONDS)).isPositive();
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }

        for (int p = 0; p < peers.size(); p++) {
            assertThat(u.isUp(p)).as("peer %d", p).isEqualTo(finalState[p]);
        }
        Upstream fresh = Upstream.of(chash(new KeyBytes(0, 4), 997, peers));
        for (int p = 0; p < peers.size(); p++) {
            fresh.setPeerUp(p, finalState[p], "replay");
        }
        assertThat(u.snapshot().table).isEqualTo(fresh.snapshot().table);
    }
}
