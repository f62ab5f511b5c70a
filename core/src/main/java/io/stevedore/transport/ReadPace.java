package io.stevedore.transport;

/**
 * Whether an event loop's traffic is light: its listening sockets' last read was of one slot
 * ({@link SlotRecvAllocator}). Its session sockets read one slot only then, since their one
 * shared history mixes sessions: under load, one session's lone reply says nothing of the next
 * session's queue. Only on the loop.
 */
final class ReadPace {

    boolean light;
}
