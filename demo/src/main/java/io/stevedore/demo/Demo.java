package io.stevedore.demo;

import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.transport.Daemon;
import io.stevedore.transport.ListenException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code stevedore demo}: the original Stevedore's two worked examples (the KCP example and the
 * protocol-version example), replayed on this machine with nothing to
 * configure. Backends run on 127.0.0.2 and up, the real load balancer (the same {@link Daemon} and
 * health checks as {@code stevedore -c}) on 127.0.0.1, and a client replays KCP conversations
 * through a failover, then datagrams of several protocol versions. What happened is printed as
 * tables, followed by checks of what the product promises; the exit code is 0 when every check
 * holds.
 *
 * <p>Every port is chosen free at run time, so a busy port never stops the demo and two demos may
 * run at once. Traffic never leaves 127.0.0.0/8.
 */
public final class Demo {

    private final PrintWriter out;
    private final long startNanos = System.nanoTime();
    private final List<String> failures = new ArrayList<>();
    private final List<String> passed = new ArrayList<>();

    private Demo(PrintWriter out) {
        this.out = out;
    }

    /** Runs both scenarios, printing to {@code out}; returns 0 when every check holds, else 1. */
    public static int run(PrintWriter out) {
        Demo demo = new Demo(out);
        out.println("Stevedore demo: the KCP example and the protocol-version example of the original Stevedore,"
                + " replayed on this machine (127.0.0.x only).");
        out.println("Everything below is the real load balancer and real health checks; nothing to configure.");
        return demo.run(() -> {
            new KcpFailover(demo).run();
            new VersionRouting(demo).run();
        });
    }

    /** {@code stevedore demo quic}: a QUIC connection through NAT rebindings ({@link QuicRebinding}). */
    public static int runQuic(PrintWriter out) {
        Demo demo = new Demo(out);
        out.println("Stevedore demo quic: real QUIC servers and a client (Netty's QUIC codec) through the load"
                + " balancer (127.0.0.x only).");
        return demo.run(() -> new QuicRebinding(demo).run());
    }

    private interface Scenes {
        void run() throws DemoException, IOException;
    }

    private int run(Scenes scenes) {
        try {
            scenes.run();
        } catch (DemoException e) {
            out.println();
            out.println("demo stopped: " + e.getMessage());
            out.flush();
            return 1;
        } catch (IOException e) {
            out.println();
            out.println("demo stopped: " + e);
            out.flush();
            return 1;
        }
        out.println();
        out.println("Checks");
        passed.forEach(line -> out.println("  ok      " + line));
        failures.forEach(line -> out.println("  FAILED  " + line));
        out.printf(Locale.ROOT, "%nDemo finished in %.1f s: %s.%n", seconds(System.nanoTime()),
                failures.isEmpty() ? "every check holds" : failures.size() + " check(s) failed");
        out.flush();
        return failures.isEmpty() ? 0 : 1;
    }

    PrintWriter out() {
        return out;
    }

    /** Records a promise of the product and whether this run kept it. */
    void check(boolean holds, String statement) {
        (holds ? passed : failures).add(statement);
    }

    /** Seconds since the demo started, for the timeline. */
    double seconds(long nanos) {
        return (nanos - startNanos) / 1e9;
    }

    /** Prints one timeline line: when, and what happened. */
    void event(long nanos, String what) {
        out.printf(Locale.ROOT, "  %6.2f s  %s%n", seconds(nanos), what);
        out.flush();
    }

    /** Starts the load balancer from a config text whose {@code ListenAddr} lets the system pick the port. */
    static Daemon startLoadBalancer(String json) throws DemoException {
        try {
            return ControlPlane.startDataPlane(parse(json));
        } catch (ListenException e) {
            throw new DemoException("cannot start the load balancer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("interrupted while starting the load balancer");
        }
    }

    private static StevedoreConfig parse(String json) throws DemoException {
        try {
            return ConfigLoader.parse(json).config();
        } catch (ConfigException e) {
            throw new DemoException("the demo's own configuration is invalid: " + String.join("; ", e.errors()));
        }
    }
}
