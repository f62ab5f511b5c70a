package io.stevedore.metrics;

/**
 * What is counted once per event loop, whatever the upstream: each with the {@link Metric} it
 * feeds (labelled by {@code listener}) and its key in a {@code /status} listener, where it has
 * them. Adding one here is all a new per-loop counter needs; the loop counts it with
 * {@link LoopCounters#count}.
 */
public enum LoopCounter {
    /** Datagrams read from clients by this loop's listener, dropped ones included. */
    RECEIVED_DATAGRAMS(Metric.CLIENT_DATAGRAMS, "clientDatagrams"),
    RECEIVED_BYTES(Metric.CLIENT_BYTES, "clientBytes"),
    SESSIONS_OPENED(Metric.SESSIONS_OPENED, null),
    /**
     * Sessions closed for any reason: the sum of the counts by {@link CloseReason}, which are what
     * {@link Metric#SESSIONS_CLOSED} exposes.
     */
    SESSIONS_CLOSED(null, null),
    /** Errors on the listening socket, mostly replies that could not be sent to their client. */
    LISTENER_ERRORS(Metric.LISTENER_ERRORS, null),
    /** Sends that carried several datagrams to one address as one buffer the kernel segments (UDP GSO). */
    SEGMENTED_SENDS(Metric.SEGMENTED_SENDS, null),
    /** Datagrams that left in those sends. */
    SEGMENTED_DATAGRAMS(Metric.SEGMENTED_DATAGRAMS, null),
    /** Segmented sends the kernel refused as a whole; their datagrams were sent again one by one. */
    SEGMENTED_REFUSED(Metric.SEGMENTED_REFUSED, null),
    /**
     * ICMP error reports (port, host or network unreachable) on a session socket that had sent to
     * more than one destination within {@code Session.ATTRIBUTION_WINDOW_MILLIS}: the report does
     * not say which, so no peer is marked down for it.
     */
    PASSIVE_AMBIGUOUS(Metric.PASSIVE_AMBIGUOUS, "passiveAmbiguous"),
    /**
     * Times a listening socket's receive buffer shrank to {@code Server.FloodRecvBufBytes} because
     * the kernel dropped datagrams at it.
     */
    LISTENER_SHRINKS(Metric.LISTENER_SHRINKS, "shrinks");

    private final Metric metric;
    private final String statusKey;

    LoopCounter(Metric metric, String statusKey) {
        this.metric = metric;
        this.statusKey = statusKey;
    }

    /** The metric this counter is, per listener; null when it has none of its own. */
    public Metric metric() {
        return metric;
    }

    /** Its key in each {@code /status} listener; null when not shown there. */
    public String statusKey() {
        return statusKey;
    }
}
