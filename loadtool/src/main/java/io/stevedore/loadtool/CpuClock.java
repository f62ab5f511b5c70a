package io.stevedore.loadtool;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time of a process and its children (nginx's workers, the JVM behind a launcher script), as
 * the kernel counts it: user + system, all threads, in steps of the kernel's clock tick (10 ms on
 * most Linux systems). The children are listed once, when the clock is made, because walking the
 * process table takes milliseconds the event loop should not spend in the middle of a run.
 */
final class CpuClock {

    private final List<ProcessHandle> processes;

    private CpuClock(List<ProcessHandle> processes) {
        this.processes = processes;
    }

    /** The process {@code pid} and its descendants as they are now; empty if there is no such process. */
    static CpuClock ofTree(long pid) {
        Optional<ProcessHandle> root = ProcessHandle.of(pid);
        return new CpuClock(root.map(r -> Stream.concat(Stream.of(r), r.descendants()).toList()).orElse(List.of()));
    }

    static CpuClock ofSelf() {
        return new CpuClock(List.of(ProcessHandle.current()));
    }

    /** CPU nanoseconds used so far by the processes still alive, or -1 if none is. */
    long nanos() {
        long total = 0;
        boolean any = false;
        for (ProcessHandle process : processes) {
            Optional<Duration> cpu = process.info().totalCpuDuration();
            if (cpu.isPresent()) {
                total += cpu.get().toNanos();
                any = true;
            }
        }
        return any ? total : -1;
    }
}
