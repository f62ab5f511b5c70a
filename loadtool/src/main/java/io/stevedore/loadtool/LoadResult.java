package io.stevedore.loadtool;

import java.util.Map;

/**
 * What one load run measured. Counts cover the measured window only: a datagram counts as sent in
 * the window if it left during it, and its reply counts as received whenever it came back before
 * the run ended, so {@code lost = sent - received} is exact. Conversation counts cover the whole
 * run, warm-up included, because a conversation switching backends is wrong at any time.
 *
 * @param seconds                        length of the measured window
 * @param repliesPerSecond               replies to datagrams sent in the window, per second of it
 * @param sentPerSecond                  datagrams sent per second of the window
 * @param backends                       replies in the window per backend id, by id
 * @param conversationsAnswered          conversations that got at least one reply
 * @param conversationsOnSeveralBackends conversations answered by more than one backend
 * @param resent                         closed loop: datagrams sent again because the one in their
 *                                       window slot got no reply within the loss timeout
 * @param stray                          replies too short to carry the header, or of a conversation
 *                                       this run never used
 * @param sendErrors                     sends the kernel refused, over the whole run
 * @param stoppedBy                      {@code duration}, or {@code max-datagrams} when the count
 *                                       bound ended sending first
 * @param clientCpuSeconds               CPU the load tool's process used during the window
 * @param cpuSeconds                     CPU each watched process, with its children, used during the window
 */
public record LoadResult(
        String shape,
        String description,
        double seconds,
        long sent,
        long received,
        long lost,
        double lossPercent,
        double repliesPerSecond,
        double sentPerSecond,
        Latency latencyMicros,
        Map<String, Long> backends,
        int conversations,
        int conversationsAnswered,
        int conversationsOnSeveralBackends,
        long resent,
        long stray,
        long sendErrors,
        String stoppedBy,
        double clientCpuSeconds,
        Map<Long, Double> cpuSeconds) {

    /** Round-trip times of the replies counted in {@code received}, in microseconds. */
    public record Latency(long count, double p50, double p90, double p99, double p999, double max) {
    }
}
