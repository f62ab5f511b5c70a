package io.stevedore.cli;

import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.LogConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.demo.Demo;
import io.stevedore.demo.DemoException;
import io.stevedore.demo.ExampleBackends;
import java.io.PrintWriter;
import java.nio.file.Path;
import io.stevedore.logging.LogSetup;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stevedore demo}: see {@link Demo}. Exit code 0 when every check of the demo holds, else 1.
 * With {@code --backends}: stand-ins for the peers of a configuration file ({@link ExampleBackends}),
 * until stopped.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Replays the original Stevedore's two examples (KCP, protocol version) on this machine (127.0.0.x only, about 10 s, nothing to configure).",
            "KCP conversations through a failover to a backup peer, then protocol-version routing with a deny default.",
            "With --backends: runs, until Ctrl-C, a backend on the address of every peer of the configuration file",
            "(etc/stevedore.json unless -c says otherwise), so that `stevedore -c FILE` finds its peers up; each answers",
            "with the datagram it got and prints a line for it."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check of the demo holds", "1:a check failed or a socket could not be opened"})
final class DemoCommand implements Callable<Integer> {

    @Option(names = {"-v", "--verbose"},
            description = "Also show the load balancer's own log (peer state changes, listening sockets) on stderr.")
    private boolean verbose;

    @Option(names = "--backends",
            description = "Start stand-ins for the peers of the configuration file instead, until Ctrl-C.")
    private boolean backends;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            defaultValue = "${sys:stevedore.config:-etc/stevedore.json}",
            description = "With --backends: the configuration file whose peers to start (default: ${DEFAULT-VALUE}).")
    private Path configFile;

    @Parameters(arity = "0..1", paramLabel = "SCENE",
            description = "quic: real QUIC servers and a client instead; a connection keeps its server while its NAT"
                    + " moves it to a new port (Type quic, QUIC-LB connection IDs).")
    private String scene;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        if (backends) {
            return backends();
        }
        LogSetup.configure(new LogConfig("", verbose ? "info" : "warn", false,
                LogConfig.MAX_AGE_HOUR.defaultValue(), LogConfig.ROTATION_TIME_HOUR.defaultValue()));
        if (scene == null) {
            return Demo.run(spec.commandLine().getOut());
        }
        if (!scene.equals("quic")) {
            throw new ParameterException(spec.commandLine(), "SCENE \"" + scene + "\" is not a scene; expected quic");
        }
        return Demo.runQuic(spec.commandLine().getOut());
    }

    private int backends() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        StevedoreConfig config;
        try {
            config = ConfigLoader.load(configFile).config();
        } catch (ConfigException e) {
            e.errors().forEach(line -> err.println("error: " + line));
            err.println("configuration file " + configFile + " is invalid");
            err.flush();
            return Main.INVALID;
        }
        try (ExampleBackends running = ExampleBackends.start(config, out)) {
            out.println("Backends for every peer of " + configFile + " are up; in another terminal, run");
            out.println("  bin/stevedore -c " + configFile);
            out.println("and send it datagrams, e.g. with bash alone:");
            out.println("  for conv in 1 2 3 4; do printf 'conv%04d hello' $conv >/dev/udp/127.0.0.1/2614; done");
            out.println("Each backend prints what it gets. Ctrl-C stops them.");
            out.flush();
            running.await();
            return Main.OK;
        } catch (DemoException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.OK;
        }
    }
}
