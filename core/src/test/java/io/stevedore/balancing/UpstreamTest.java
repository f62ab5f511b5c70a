package io.stevedore.balancing;

import static io.stevedore.balancing.Upstreams.chash;
import static io.stevedore.balancing.Upstreams.equalPeers;
import static io.stevedore.balancing.Upstreams.peer;
import static io.stevedore.balancing.Upstreams.rr;
import static io.stevedore.balancing.Upstreams.selectKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.KeyBytes;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpstreamTest {

    @Test
    void peersKeepTheirConfigPositionAndStartUp() {
        Upstream u = Upstream.of(rr(List.of(peer(0, 3), peer(1, 1, true))));
        assertThat(u.name()).isEqualTo("rr");
        assertThat(u.peers()).hasSize(2);
        assertThat(u.peer(1).index()).isEqualTo(1);
        assertThat(u.peer(1).backup()).isTrue();
        assertThat(u.peer(0).weight()).isEqualTo(3);
        assertThat(u.peer(0).address().getPort()).isEqualTo(9000);
        assertThat(u.isUp(0)).isTrue();
        assertThat(u.isUp(1)).isTrue();
    }

    @Test
    void smoothRoundRobinInterleavesAsNginxDoes() {
        Upstream u = Upstream.of(rr(List.of(peer(0, 5), peer(1, 1), peer(2, 1))));
        Selector s = u.newSelector();
        ByteBuf d = Unpooled.EMPTY_BUFFER;
        int[] picks = new int[14];
        for (int i = 0; i < picks.length; i++) {
            picks[i] = s.select(d);
        }
        assertThat(picks).containsExactly(0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0);
    }

    @Test
    void setUpChangesStateOnceAndReportsIt() {
        Upstream u = Upstream.of(rr(equalPeers(3)));
        assertThat(u.setPeerUp(1, false, "test")).isTrue();
        assertThat(u.setPeerUp(1, false, "test again")).isFalse();
        assertThat(u.isUp(1)).isFalse();
        Selector s = u.newSelector();
        for (int i = 0; i < 10; i++) {
            assertThat(s.select(Unpooled.EMPTY_BUFFER)).isNotEqualTo(1);
        }
        assertThat(u.setPeerUp(1, true, "back")).isTrue();
        assertThat(u.isUp(1)).isTrue();
    }

    @Test
    void inRotationHoldsForUpPrimariesAndForTheBackupOnlyWhileNoPrimaryIsUp() {
        Upstream u = Upstream.of(rr(List.of(peer(0, 1), peer(1, 1), peer(2, 1, true))));
        assertThat(u.inRotation(0)).isTrue();
        assertThat(u.inRotation(2)).as("backup while primaries are up").isFalse();
        u.setPeerUp(0, false, "test");
        assertThat(u.inRotation(0)).isFalse();
        assertThat(u.inRotation(2)).isFalse();
        u.setPeerUp(1, false, "test");
        assertThat(u.inRotation(2)).as("backup with every primary down").isTrue();
        u.setPeerUp(1, true, "test");
        assertThat(u.isUp(2)).isTrue();
        assertThat(u.inRotation(2)).as("backup once a primary recovered").isFalse();
        assertThat(u.inRotation(1)).isTrue();
        u.setPeerUp(2, false, "test");
        u.setPeerUp(1, false, "test");
        assertThat(u.inRotation(2)).as("a down backup").isFalse();
    }

    @Test
    void backupTakesTrafficOnlyWhileEveryPrimaryIsDown() {
        Upstream u = Upstream.of(chash(List.of(peer(0, 1), peer(1, 1), peer(2, 1, true))));
        Selector s = u.newSelector();
        ByteBuf d = Upstreams.scratch();
        try {
            for (int k = 0; k < 1000; k++) {
                assertThat(selectKey(s, d, k)).isIn(0, 1);
            }
            assertThat(u.tableEntriesPerPeer()[2]).isZero();
            u.setPeerUp(0, false, "test");
            for (int k = 0; k < 1000; k++) {
                assertThat(selectKey(s, d, k)).isEqualTo(1);
            }
            u.setPeerUp(1, false, "test");
            for (int k = 0; k < 1000; k++) {
                assertThat(selectKey(s, d, k)).isEqualTo(2);
            }
            assertThat(u.tableEntriesPerPeer()).containsExactly(0, 0, io.stevedore.config.UpstreamConfig.TABLE_SIZE.defaultValue());
            u.setPeerUp(2, false, "test");
            assertThat(selectKey(s, d, 7)).isEqualTo(Selector.NO_PEER);
            assertThat(u.tableEntriesPerPeer()).containsExactly(0, 0, 0);
            u.setPeerUp(1, true, "test");
            for (int k = 0; k < 1000; k++) {
                assertThat(selectKey(s, d, k)).isEqualTo(1);
            }
        } finally {
            d.release();
        }
    }

    @Test
    void roundRobinWithNothingUpAndNoBackupIsNoPeer() {
        Upstream u = Upstream.of(rr(equalPeers(2)));
        u.setPeerUp(0, false, "test");
        u.setPeerUp(1, false, "test");
        assertThat(u.newSelector().select(Unpooled.EMPTY_BUFFER)).isEqualTo(Selector.NO_PEER);
        assertThat(u.tableEntriesPerPeer()).isEmpty();
    }

    @Test
    void chashKeyShorterThanKeyBytesEndIsShortKeyEvenWithNothingUp() {
        Upstream u = Upstream.of(chash(new KeyBytes(2, 6), 997, equalPeers(3)));
        Selector s = u.newSelector();
        ByteBuf d = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5});
        try {
            assertThat(s.select(d)).isEqualTo(Selector.SHORT_KEY);
            d.writerIndex(5);
            d.readerIndex(0);
            u.setPeerUp(0, false, "t");
            u.setPeerUp(1, false, "t");
            u.setPeerUp(2, false, "t");
            assertThat(s.select(d)).isEqualTo(Selector.SHORT_KEY);
        } finally {
            d.release();
        }
    }

    @Test
    void chashSameKeySamePeerAndOnlyTheKeyBytesCount() {
        Upstream u = Upstream.of(chash(new KeyBytes(0, 4), 997, equalPeers(5)));
        Selector s = u.newSelector();
        ByteBuf a = Unpooled.buffer();
        ByteBuf b = Unpooled.buffer();
        try {
            for (int k = 0; k < 500; k++) {
                a.clear().writeInt(k).writeLong(1);
                b.clear().writeByte(99).writeInt(k).writeLong(2).readerIndex(1);
                assertThat(s.select(a)).isEqualTo(s.select(b));
            }
        } finally {
            a.release();
            b.release();
        }
    }

    @Test
    void rejectsWhatConfigValidationShouldHaveCaught() {
        assertThatThrownBy(() -> Upstream.of(chash(new KeyBytes(0, 4), 1000, equalPeers(2))))
                .hasMessageContaining("prime").hasMessageContaining("1000");
        assertThatThrownBy(() -> Upstream.of(rr(List.of(peer(0, 1, true), peer(1, 1, true)))))
                .hasMessageContaining("at most one backup");
        assertThatThrownBy(() -> Upstream.of(chash(List.of(peer(0, 1), peer(0, 2)))))
                .hasMessageContaining("duplicate peer").hasMessageContaining("127.0.0.2");
        assertThatThrownBy(() -> Upstream.of(rr(List.of(peer(0, 0)))))
                .hasMessageContaining("weight must be >= 1");
        Upstream u = Upstream.of(rr(equalPeers(2)));
        assertThatThrownBy(() -> u.setPeerUp(2, false, "x")).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
