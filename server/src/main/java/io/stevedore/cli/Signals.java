package io.stevedore.cli;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The signals of run mode: {@code SIGHUP} reloads the configuration file, {@code SIGTERM} and
 * {@code SIGINT} stop cleanly (exit code 0). A handler only hands the work on: reloads run one at a
 * time on a thread of their own, and a stop wakes the main thread, so neither the JVM's signal
 * thread nor the data-plane loops ever do the work. A stop also arms a {@link StopWatchdog}, so
 * the process ends within 2 s even if the orderly stop cannot finish.
 */
final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private final ExecutorService reloader = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "stevedore-reload");
        thread.setDaemon(true);
        return thread;
    });
    /** Null until {@link #attach}: a signal before then is remembered and acted on there. */
    private Runner runner;
    private boolean stopRequested;
    private boolean reloadRequested;

    private Signals() {
    }

    /**
     * Installs the handlers before anything is started, so that a signal during start-up (the file
     * being read, the sockets being bound) neither kills the JVM with its default action (exit 143
     * for SIGTERM, nothing logged) nor is lost: it takes effect once {@link #attach} hands over the
     * runner.
     */
    static Signals install() {
        Signals signals = new Signals();
        StopWatchdog watchdog = StopWatchdog.forThisProcess();
        handle("HUP", signals::reload);
        boolean term = handle("TERM", () -> {
            watchdog.arm();
            signals.stop();
        });
        boolean interrupt = handle("INT", () -> {
            watchdog.arm();
            signals.stop();
        });
        if (!term || !interrupt) {
            // Without our handler the JVM exits on the signal: stop cleanly on the way out at least.
            Runtime.getRuntime().addShutdownHook(new Thread(signals::closeRunner, "stevedore-shutdown"));
        }
        return signals;
    }

    /** The daemon is running: what was signalled while it started is done now. */
    synchronized void attach(Runner started) {
        runner = started;
        if (stopRequested) {
            started.requestStop();
        } else if (reloadRequested) {
            reload();
        }
    }

    private synchronized void stop() {
        stopRequested = true;
        if (runner == null) {
            log.info("stopping as soon as start-up has finished");
        } else {
            runner.requestStop();
        }
    }

    private synchronized void reload() {
        if (runner == null) {
            reloadRequested = true;
            log.info("the configuration will be read again as soon as start-up has finished");
            return;
        }
        Runner target = runner;
        reloader.execute(() -> {
            try {
                target.reload();
            } catch (RuntimeException e) {
                log.error("reload failed", e);
            }
        });
    }

    private synchronized void closeRunner() {
        if (runner != null) {
            runner.close();
        }
    }

    private static boolean handle(String name, Runnable action) {
        try {
            Signal.handle(new Signal(name), signal -> {
                log.info("SIG{} received", name);
                action.run();
            });
            return true;
        } catch (IllegalArgumentException e) {
            log.warn("cannot handle SIG{} on this platform or JVM ({}): {}", name, e.getMessage(),
                    name.equals("HUP") ? "the configuration is not reloaded on it" : "it stops the JVM directly");
            return false;
        }
    }
}
