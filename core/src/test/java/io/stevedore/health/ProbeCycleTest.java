package io.stevedore.health;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProbeCycleTest {

    private static final long MS = 1_000_000L;
    private static final long START = 1_000 * MS;

    private static ProbeSettings settings(long intervalMs, long timeoutMs, String expect) {
        return new ProbeSettings(Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs), 1, 1,
                "ping".getBytes(US_ASCII), Optional.ofNullable(expect).map(e -> e.getBytes(US_ASCII)));
    }

    private static Optional<ProbeResult> reply(ProbeCycle cycle, String text) {
        ByteBuf content = Unpooled.copiedBuffer(text, US_ASCII);
        try {
            return cycle.replied(content);
        } finally {
            content.release();
        }
    }

    @Test
    void theFirstProbeIsDueAtOnceAndTheNextOneIntervalLater() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, null), START);

        assertThat(cycle.due(START)).isTrue();
        cycle.sent(START);
        assertThat(cycle.due(START)).isFalse();
        assertThat(cycle.wakeAt()).isEqualTo(START + 3000 * MS);

        assertThat(cycle.expired(START + 2999 * MS)).isEmpty();
        assertThat(cycle.expired(START + 3000 * MS)).isPresent();
        assertThat(cycle.wakeAt()).isEqualTo(START + 5000 * MS);
        assertThat(cycle.due(START + 4999 * MS)).isFalse();
        assertThat(cycle.due(START + 5000 * MS)).isTrue();
    }

    @Test
    void withoutExpectSilenceUntilTheTimeoutIsASuccess() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, null), START);
        cycle.sent(START);

        assertThat(cycle.expired(START + 3000 * MS))
                .contains(ProbeResult.success("no ICMP port unreachable within 3s"));
    }

    @Test
    void withoutExpectAnyReplyIsASuccess() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, null), START);
        cycle.sent(START);

        assertThat(reply(cycle, "whatever")).contains(ProbeResult.success("reply received"));
    }

    @Test
    void portUnreachableFailsTheRoundAtOnce() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, null), START);
        cycle.sent(START);

        assertThat(cycle.portUnreachable()).contains(ProbeResult.failure("ICMP port unreachable"));
        assertThat(cycle.expired(START + 3000 * MS)).as("the round is over").isEmpty();
    }

    @Test
    void withExpectSilenceFails() {
        ProbeCycle cycle = new ProbeCycle(settings(200, 150, "pong"), START);
        cycle.sent(START);

        assertThat(cycle.expired(START + 150 * MS)).contains(ProbeResult.failure("no reply within 150ms"));
    }

    @Test
    void withExpectOnlyAReplyStartingWithTheExpectedBytesSucceeds() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, "pong"), START);

        cycle.sent(START);
        assertThat(reply(cycle, "pong and more")).contains(ProbeResult.success("expected reply"));
        cycle.sent(START + 5000 * MS);
        assertThat(reply(cycle, "pon")).contains(ProbeResult.failure("unexpected reply 0x706f6e"));
        cycle.sent(START + 10000 * MS);
        assertThat(reply(cycle, "")).contains(ProbeResult.failure("unexpected reply (empty)"));
        cycle.sent(START + 15000 * MS);
        assertThat(reply(cycle, "a reply longer than sixteen bytes")).contains(ProbeResult.failure(
                "unexpected reply 0x61207265706c79206c6f6e6765722074... (33 bytes)"));
    }

    @Test
    void eventsOutsideARoundAreIgnored() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, "pong"), START);

        assertThat(reply(cycle, "pong")).isEmpty();
        assertThat(cycle.portUnreachable()).isEmpty();
        cycle.sent(START);
        cycle.expired(START + 3000 * MS);
        assertThat(reply(cycle, "pong")).as("a late reply").isEmpty();
        assertThat(cycle.failed("send failed")).isEmpty();
    }

    @Test
    void roundsNeverOverlapWhenTheTimeoutExceedsTheInterval() {
        ProbeCycle cycle = new ProbeCycle(settings(1000, 3000, "pong"), START);
        cycle.sent(START);

        assertThat(cycle.due(START + 2000 * MS)).isFalse();
        cycle.expired(START + 3000 * MS);
        assertThat(cycle.due(START + 3000 * MS)).isTrue();
    }

    @Test
    void anEarlyEndMovesTheWakeupToTheNextSend() {
        ProbeCycle cycle = new ProbeCycle(settings(5000, 3000, null), START);
        cycle.sent(START);
        cycle.failed("send failed: Network is unreachable");

        assertThat(cycle.wakeAt()).isEqualTo(START + 5000 * MS);
    }
}
