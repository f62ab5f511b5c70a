package io.stevedore.health;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Optional;

/**
 * The timing and judging of one peer's probes, with the clock as a parameter. A probe is sent
 * every {@code interval}; a round ends at the first of: a reply, an ICMP port unreachable, a
 * failed send, or {@code timeout} after sending. Rounds never overlap: when the timeout is longer
 * than the interval, the next probe goes out as soon as the round ends.
 *
 * <p>Without {@code expect} (the original's rule) silence until the timeout is a success, since
 * an open port that ignores the payload is healthy; any reply ends the round early as a success.
 * With {@code expect}, only a reply starting with those bytes succeeds, and silence fails.
 *
 * <p>Events outside a round (a reply arriving after its round timed out) are ignored. Confined to
 * the health event loop.
 */
final class ProbeCycle {

    /** Bytes of an unexpected reply shown in the reason, enough to recognise a protocol. */
    private static final int SHOWN_BYTES = 16;

    private final long intervalNanos;
    private final long timeoutNanos;
    private final String timeoutText;
    private final byte[] expect;
    private long nextSendAt;
    private long deadline;
    private boolean awaiting;

    /** The first probe is due at {@code nowNanos}. */
    ProbeCycle(ProbeSettings settings, long nowNanos) {
        this.intervalNanos = settings.interval().toNanos();
        this.timeoutNanos = settings.timeout().toNanos();
        this.timeoutText = ProbeSettings.describe(settings.timeout());
        this.expect = settings.expect().orElse(null);
        this.nextSendAt = nowNanos;
    }

    boolean due(long nowNanos) {
        return !awaiting && nowNanos - nextSendAt >= 0;
    }

    void sent(long nowNanos) {
        awaiting = true;
        deadline = nowNanos + timeoutNanos;
        nextSendAt = nowNanos + intervalNanos;
    }

    /**
     * When a successor of this cycle (same settings, after a reload) sends its first probe: at the
     * next send as planned, or at {@code nowNanos} if a round was cut short, since its result is lost.
     */
    long resumeAt(long nowNanos) {
        return awaiting ? nowNanos : nextSendAt;
    }

    /** When the caller should next look at this cycle: the round's deadline or the next send. */
    long wakeAt() {
        return awaiting ? deadline : nextSendAt;
    }

    Optional<ProbeResult> replied(ByteBuf content) {
        if (!awaiting) {
            return Optional.empty();
        }
        if (expect == null) {
            return end(ProbeResult.success("reply received"));
        }
        if (startsWithExpected(content)) {
            return end(ProbeResult.success("expected reply"));
        }
        return end(ProbeResult.failure("unexpected reply " + show(content)));
    }

    Optional<ProbeResult> portUnreachable() {
        if (!awaiting) {
            return Optional.empty();
        }
        return end(ProbeResult.failure("ICMP port unreachable"));
    }

    /** The probe could not be sent or the socket reported another error during the round. */
    Optional<ProbeResult> failed(String why) {
        if (!awaiting) {
            return Optional.empty();
        }
        return end(ProbeResult.failure(why));
    }

    Optional<ProbeResult> expired(long nowNanos) {
        if (!awaiting || nowNanos - deadline < 0) {
            return Optional.empty();
        }
        return end(expect == null
                ? ProbeResult.success("no ICMP port unreachable within " + timeoutText)
                : ProbeResult.failure("no reply within " + timeoutText));
    }

    private Optional<ProbeResult> end(ProbeResult result) {
        awaiting = false;
        return Optional.of(result);
    }

    private boolean startsWithExpected(ByteBuf content) {
        if (content.readableBytes() < expect.length) {
            return false;
        }
        int at = content.readerIndex();
        for (int i = 0; i < expect.length; i++) {
            if (content.getByte(at + i) != expect[i]) {
                return false;
            }
        }
        return true;
    }

    private static String show(ByteBuf content) {
        int length = content.readableBytes();
        if (length == 0) {
            return "(empty)";
        }
        String hex = "0x" + ByteBufUtil.hexDump(content, content.readerIndex(), Math.min(length, SHOWN_BYTES));
        return length > SHOWN_BYTES ? hex + "... (" + length + " bytes)" : hex;
    }
}
