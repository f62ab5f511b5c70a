package io.stevedore.session;

import java.net.InetSocketAddress;

/**
 * A session as {@code GET /sessions} shows it, copied on the session's loop. {@code lastSlot} is
 * the flat slot of the peer it last sent to ({@link Session#NONE} before the first send);
 * {@code keptPeers} the peer kept per upstream position under {@code Affinity: session}, or null.
 * {@code activeSecond} is the loop's clock in whole seconds at the last traffic (one clock for every
 * loop: it orders sessions across loops); ages and idle times are in whole seconds.
 */
public record SessionView(InetSocketAddress client, int listener, int lastSlot, int[] keptPeers, int activeSecond,
        int ageSec,
        int idleSec, long datagramsIn, long bytesIn, long datagramsOut, long bytesOut, boolean answered) {
}
