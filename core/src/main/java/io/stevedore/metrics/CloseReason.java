package io.stevedore.metrics;

/**
 * Why a client session ended. Every way out of a session counts exactly one of these;
 * {@link #label()} is its {@code reason} label of {@link Metric#SESSIONS_CLOSED} and its key in
 * {@code /status}'s {@code sessions.closed}.
 */
public enum CloseReason {
    /** No traffic in either direction for longer than {@code Session.TimeoutSec} (the sweep). */
    IDLE("idle"),
    /**
     * Made room at {@code MaxSessions} for a new client: the least recently active session that no
     * peer had ever answered.
     */
    EVICTED("evicted"),
    /** A reload brought peers its socket cannot reach (see {@code control.ReloadDecision.reopenSessions}). */
    RELOAD("reload"),
    /** The daemon stopped. */
    SHUTDOWN("shutdown"),
    /** The session's socket was closed under it, not by Stevedore: an error Netty closed it for. */
    ERROR("error");

    private final String label;

    CloseReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
