package io.stevedore.transport;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.stevedore.session.SessionTable;
import java.util.concurrent.TimeUnit;

/** Closes a loop's idle sessions every {@code RecycleIntervalSec}, on the loop. */
final class IdleSweep {

    private final EventLoop loop;
    private final SessionTable sessions;
    private ScheduledFuture<?> sweeping;
    private int intervalSec;

    IdleSweep(EventLoop loop, SessionTable sessions) {
        this.loop = loop;
        this.sessions = sessions;
    }

    /** Sweeps every {@code seconds} from now on; an unchanged interval keeps the running schedule. Call on the loop. */
    void every(int seconds) {
        if (sweeping != null) {
            if (seconds == intervalSec) {
                return;
            }
            sweeping.cancel(false);
        }
        intervalSec = seconds;
        sweeping = loop.scheduleAtFixedRate(() -> sessions.sweep(System.nanoTime()), seconds, seconds,
                TimeUnit.SECONDS);
    }
}
