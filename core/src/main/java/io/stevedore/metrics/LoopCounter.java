package io.stevedore.metrics;

/** What is counted once per event loop, whatever the upstream. */
public enum LoopCounter {
    /** Datagrams read from clients by this loop's listener, dropped ones included. */
    RECEIVED_DATAGRAMS,
    RECEIVED_BYTES,
    SESSIONS_OPENED,
    /** Sessions closed for any reason: the sum of the counts by {@link CloseReason}. */
    SESSIONS_CLOSED,
    /** Errors on the listening socket, mostly replies that could not be sent to their client. */
    LISTENER_ERRORS,
    /** Sends that carried several datagrams to one address as one buffer the kernel segments (UDP GSO). */
    SEGMENTED_SENDS,
    /** Datagrams that left in those sends. */
    SEGMENTED_DATAGRAMS,
    /** Segmented sends the kernel refused as a whole; their datagrams were sent again one by one. */
    SEGMENTED_REFUSED,
    /**
     * ICMP error reports (port, host or network unreachable) on a session socket that had sent to
     * more than one destination within {@code Session.ATTRIBUTION_WINDOW_MILLIS}: the report does
     * not say which, so no peer is marked down for it.
     */
    PASSIVE_AMBIGUOUS
}
