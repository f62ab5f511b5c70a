package io.stevedore.transport;

import static io.stevedore.transport.SlotRecvAllocator.BACKLOG_NANOS;
import static io.stevedore.transport.SlotRecvAllocator.slots;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many slots a read offers: one where traffic is light, else the batch. */
class SlotRecvAllocatorTest {

    private static final int BATCH = 32;
    private static final long WAITED = 10 * BACKLOG_NANOS;
    private static final long BACK_TO_BACK = BACKLOG_NANOS / 10;

    @Test
    void aReadAfterAWaitThatFollowsALoneDatagramOffersOneSlot() {
        assertThat(slots(1, WAITED, BATCH)).isEqualTo(1);
        assertThat(slots(0, WAITED, BATCH)).as("the first read of a handle").isEqualTo(1);
    }

    @Test
    void aReadRightAfterTheLastOneOffersTheBatch() {
        assertThat(slots(1, BACK_TO_BACK, BATCH)).as("the loop went round without waiting").isEqualTo(BATCH);
    }

    @Test
    void aReadAfterOneThatGotSeveralOffersTheBatchHoweverLongAgo() {
        assertThat(slots(2, WAITED, BATCH)).as("a probe that found a second datagram, or a batch read").isEqualTo(BATCH);
        assertThat(slots(BATCH, WAITED, BATCH)).isEqualTo(BATCH);
    }

    @Test
    void aBatchOfOneIsOneSlot() {
        assertThat(slots(1, BACK_TO_BACK, 1)).isEqualTo(1);
    }
}
