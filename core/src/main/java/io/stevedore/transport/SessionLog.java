package io.stevedore.transport;

import io.stevedore.metrics.CloseReason;

/**
 * Where the data plane reports each session it closes (the access log). {@link #closed} runs on the
 * session's event loop, once per session whatever the reason, so it must neither block nor take a
 * lock another loop could hold.
 */
public interface SessionLog {

    /** No access log: the loops build no record at all. */
    SessionLog OFF = new SessionLog() {
        @Override
        public void closed(ClosedSession session) {
        }
    };

    void closed(ClosedSession session);

    /** Records lost because the log could not keep up. */
    default long dropped() {
        return 0;
    }

    /**
     * A session as it closed: when (epoch milliseconds), what {@code GET /sessions} would have shown
     * of it, why it closed and how long it lived.
     */
    record ClosedSession(long timeMillis, LiveSession session, CloseReason reason, long durationMillis) {
    }
}
