package io.stevedore.loadtool;

import java.time.Duration;
import java.util.Optional;

/**
 * CPU time of processes as the kernel counts it (user + system, all threads), read through
 * ProcessHandle, so in steps of the kernel's clock tick (10 ms on most Linux systems).
 */
final class CpuClock {

    private CpuClock() {
    }

    /** CPU nanoseconds of a process and all its descendants (nginx workers, a launcher's JVM), or -1 if gone. */
    static long treeNanos(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return -1;
        }
        long[] total = {nanos(handle.get())};
        handle.get().descendants().forEach(child -> total[0] += nanos(child));
        return total[0];
    }

    static long selfNanos() {
        return nanos(ProcessHandle.current());
    }

    private static long nanos(ProcessHandle handle) {
        return handle.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
}
