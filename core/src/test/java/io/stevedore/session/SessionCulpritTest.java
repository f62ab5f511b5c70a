package io.stevedore.session;


import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Which peer an ICMP report is pinned on, with the clock as a parameter. */
class SessionCulpritTest {

    private static final long T0 = 1_000_000_000_000L;
    private static final int A = 3;
    private static final int B = 7;
    private static final long MILLI = 1_000_000L;
    /** The window in nanoseconds, plus the millisecond the clock's grain may cost. */
    private static final long WINDOW = (Session.ATTRIBUTION_WINDOW_MILLIS + 1) * MILLI;

    private Session session() {
        return new Session(new InetSocketAddress("127.0.0.1", 40000), 0, 0, T0);
    }

    @Test
    void aSessionThatSentToOnePeerOnlyBlamesItAtOnce() {
        Session session = session();
        assertThat(session.culprit(T0)).as("nothing sent yet").isEqualTo(Session.NONE);
        session.sentTo(A, true, T0);
        session.sentTo(A, true, T0 + 5);
        assertThat(session.culprit(T0 + 6)).isEqualTo(A);
    }

    @Test
    void afterMovingToAnotherPeerNoReportIsPinnedForAWindow() {
        Session session = session();
        session.sentTo(A, true, T0);
        session.sentTo(B, true, T0 + 10);
        assertThat(session.culprit(T0 + 10)).isEqualTo(Session.NONE);
        assertThat(session.culprit(T0 + Session.ATTRIBUTION_WINDOW_MILLIS * MILLI)).isEqualTo(Session.NONE);
        assertThat(session.culprit(T0 + WINDOW + MILLI)).isEqualTo(B);
    }

    @Test
    void alternatingPeersIsAlwaysAmbiguous() {
        Session session = session();
        for (int i = 0; i < 10; i++) {
            long now = T0 + i * WINDOW / 2;
            session.sentTo(i % 2 == 0 ? A : B, true, now);
            if (i > 0) {
                assertThat(session.culprit(now + 1)).as("send " + i).isEqualTo(Session.NONE);
            }
        }
    }

    @Test
    void aSendToALatchedPortIsNotPinnedOnThePeer() {
        Session session = session();
        session.sentTo(A, true, T0);
        session.sentTo(A, false, T0 + 10);
        assertThat(session.culprit(T0 + 20)).isEqualTo(Session.NONE);
        assertThat(session.culprit(T0 + 20 + Session.ATTRIBUTION_WINDOW_MILLIS * MILLI)).isEqualTo(Session.NONE);
        session.sentTo(A, true, T0 + 30);
        assertThat(session.culprit(T0 + 10 + WINDOW + MILLI)).isEqualTo(A);
    }
}
