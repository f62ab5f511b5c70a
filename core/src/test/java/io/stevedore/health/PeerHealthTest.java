package io.stevedore.health;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PeerHealthTest {

    private static final ProbeResult OK = ProbeResult.success("expected reply");
    private static final ProbeResult REFUSED = ProbeResult.failure("ICMP port unreachable");

    @Test
    void oneFailureTakesAnUpPeerDownWhenFailedTimesIsOne() {
        PeerHealth health = new PeerHealth(1, 1, true);

        assertThat(health.record(REFUSED, true))
                .contains(new Transition(false, "probe: ICMP port unreachable"));
    }

    @Test
    void failuresMustBeConsecutive() {
        PeerHealth health = new PeerHealth(1, 3, true);

        assertThat(health.record(REFUSED, true)).isEmpty();
        assertThat(health.record(REFUSED, true)).isEmpty();
        assertThat(health.record(OK, true)).isEmpty();
        assertThat(health.record(REFUSED, true)).isEmpty();
        assertThat(health.record(REFUSED, true)).isEmpty();
        assertThat(health.record(REFUSED, true)).contains(
                new Transition(false, "probe: 3 consecutive failures, last: ICMP port unreachable"));
    }

    @Test
    void successesMustBeConsecutiveToBringADownPeerUp() {
        PeerHealth health = new PeerHealth(2, 1, false);

        assertThat(health.record(OK, false)).isEmpty();
        assertThat(health.record(REFUSED, false)).isEmpty();
        assertThat(health.record(OK, false)).isEmpty();
        assertThat(health.record(OK, false)).contains(new Transition(true, "probe: 2 consecutive successes"));
    }

    @Test
    void aSingleRequiredSuccessNamesWhatSucceeded() {
        PeerHealth health = new PeerHealth(1, 1, false);

        assertThat(health.record(OK, false)).contains(new Transition(true, "probe: expected reply"));
    }

    @Test
    void steadyStatesPublishNothing() {
        PeerHealth health = new PeerHealth(1, 1, true);

        for (int i = 0; i < 5; i++) {
            assertThat(health.record(OK, true)).isEmpty();
        }
        health.record(REFUSED, true);
        for (int i = 0; i < 5; i++) {
            assertThat(health.record(REFUSED, false)).isEmpty();
        }
    }

    @Test
    void aPeerTakenDownByTheDataPlaneComesBackThroughProbes() {
        PeerHealth health = new PeerHealth(2, 1, true);
        health.record(OK, true);
        health.record(OK, true);

        // Taken down passively: the successes seen while it was up do not count toward its return.
        assertThat(health.record(OK, false)).isEmpty();
        assertThat(health.record(OK, false)).contains(new Transition(true, "probe: 2 consecutive successes"));
    }

    @Test
    void aFailureBeforeAPassiveDownDoesNotCountAfterTheReturn() {
        PeerHealth health = new PeerHealth(1, 2, true);
        health.record(REFUSED, true);

        assertThat(health.record(OK, false)).contains(new Transition(true, "probe: expected reply"));
        assertThat(health.record(REFUSED, true)).isEmpty();
        assertThat(health.record(REFUSED, true)).isPresent();
    }
}
