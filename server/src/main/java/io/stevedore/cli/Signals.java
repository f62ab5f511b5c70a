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

    private Signals() {
    }

    static void install(Runner runner) {
        ExecutorService reloader = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "stevedore-reload");
            thread.setDaemon(true);
            return thread;
        });
        handle("HUP", () -> reloader.execute(() -> {
            try {
                runner.reload();
            } catch (RuntimeException e) {
                log.error("reload failed", e);
            }
        }));
        StopWatchdog watchdog = StopWatchdog.forThisProcess();
        Runnable stop = () -> {
            watchdog.arm();
            runner.requestStop();
        };
        boolean term = handle("TERM", stop);
        boolean interrupt = handle("INT", stop);
        if (!term || !interrupt) {
            // Without our handler the JVM exits on the signal: stop cleanly on the way out at least.
            Runtime.getRuntime().addShutdownHook(new Thread(runner::close, "stevedore-shutdown"));
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
