package io.stevedore.balancing;

import static io.stevedore.balancing.Upstreams.chash;
import static io.stevedore.balancing.Upstreams.equalPeers;
import static io.stevedore.balancing.Upstreams.peer;
import static io.stevedore.balancing.Upstreams.rr;
import static io.stevedore.balancing.Upstreams.selectKey;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.UpstreamConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class EdgeCasesTest {

    @Test
    void onePeerTakesEverything() {
        Upstream c = Upstream.of(chash(equalPeers(1)));
        assertThat(c.tableEntriesPerPeer()).containsExactly(UpstreamConfig.TABLE_SIZE.defaultValue());
        Selector cs = c.newSelector();
        Selector rs = Upstream.of(rr(equalPeers(1))).newSelector();
        ByteBuf d = Upstreams.scratch();
        try {
            for (int k = 0; k < 1000; k++) {
                assertThat(selectKey(cs, d, k * 7919)).isZero();
                assertThat(rs.select(d)).isZero();
            }
        } finally {
            d.release();
        }
    }

    @Test
    void anUpstreamOfOnlyABackupServesFromItWhileItIsUp() {
        for (UpstreamConfig config : List.of(chash(List.of(peer(0, 1, true))), rr(List.of(peer(0, 1, true))))) {
            Upstream u = Upstream.of(config);
            Selector s = u.newSelector();
            ByteBuf d = Upstreams.scratch();
            try {
                assertThat(selectKey(s, d, 1)).isZero();
                u.setPeerUp(0, false, "test");
                assertThat(selectKey(s, d, 1)).isEqualTo(Selector.NO_PEER);
                u.setPeerUp(0, true, "test");
                assertThat(selectKey(s, d, 1)).isZero();
            } finally {
                d.release();
            }
        }
    }

    @Test
    void allDownIsNoPeerForBothTypes() {
        for (UpstreamConfig config : List.of(chash(List.of(peer(0, 1), peer(1, 2, true))),
                rr(List.of(peer(0, 1), peer(1, 2, true))))) {
            Upstream u = Upstream.of(config);
            u.setPeerUp(0, false, "test");
            u.setPeerUp(1, false, "test");
            ByteBuf d = Upstreams.scratch();
            try {
                assertThat(selectKey(u.newSelector(), d, 1)).isEqualTo(Selector.NO_PEER);
            } finally {
                d.release();
            }
        }
    }

    @Test
    void backupHealthDoesNotDisturbPrimaries() {
        Upstream u = Upstream.of(chash(List.of(peer(0, 1), peer(1, 1), peer(2, 1, true))));
        int[] table = u.snapshot().table;
        assertThat(u.setPeerUp(2, false, "test")).isTrue();
        assertThat(u.snapshot().table).isEqualTo(table);
        assertThat(u.setPeerUp(2, true, "test")).isTrue();
        assertThat(u.snapshot().table).isEqualTo(table);
    }

    @Test
    void primariesTakeBackFromTheBackupAsSoonAsOneRecovers() {
        Upstream u = Upstream.of(rr(List.of(peer(0, 1), peer(1, 1), peer(2, 1, true))));
        Selector s = u.newSelector();
        u.setPeerUp(0, false, "test");
        u.setPeerUp(1, false, "test");
        assertThat(s.select(Unpooled.EMPTY_BUFFER)).isEqualTo(2);
        u.setPeerUp(1, true, "test");
        for (int k = 0; k < 5; k++) {
            assertThat(s.select(Unpooled.EMPTY_BUFFER)).isEqualTo(1);
        }
    }

    @Test
    void emptyDatagramIsAShortKeyForChashAndSelectableForRr() {
        Selector c = Upstream.of(chash(new KeyBytes(0, 1), 997, equalPeers(3))).newSelector();
        Selector r = Upstream.of(rr(equalPeers(3))).newSelector();
        assertThat(c.select(Unpooled.EMPTY_BUFFER)).isEqualTo(Selector.SHORT_KEY);
        assertThat(r.select(Unpooled.EMPTY_BUFFER)).isBetween(0, 2);
    }

    @Test
    void datagramExactlyAsLongAsTheKeyIsHashed() {
        Selector c = Upstream.of(chash(new KeyBytes(2, 11), 997, equalPeers(3))).newSelector();
        ByteBuf d = Unpooled.wrappedBuffer(new byte[11]);
        try {
            assertThat(c.select(d)).isBetween(0, 2);
            d.writerIndex(10);
            assertThat(c.select(d)).isEqualTo(Selector.SHORT_KEY);
        } finally {
            d.release();
        }
    }
}
