package io.stevedore.loadtool;

/** How the load client paces its datagrams. */
public enum Shape {
    /** As fast as one thread can send, whatever comes back: measures what a path passes and loses. */
    FLOOD,
    /** A fixed total rate: measures latency at a load every path can carry. */
    RATE,
    /** Each socket keeps a window of datagrams in flight and sends one more per reply. */
    CLOSED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
