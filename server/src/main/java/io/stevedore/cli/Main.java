package io.stevedore.cli;

import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.LoadedConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.logging.LogSetup;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code stevedore} command: runs the daemon in the foreground, or with {@code -t} checks a
 * configuration file the way {@code nginx -t} does. Other modes are subcommands of this one.
 * Exit codes: 0 success, 1 invalid configuration or failure to start, 2 bad command line.
 */
@Command(
        name = "stevedore",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        subcommands = {DemoCommand.class, RouteCommand.class},
        sortOptions = false,
        description = "Layer-4 UDP load balancer that forwards each datagram by its bytes.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success (with -t: the file is valid)",
            "1:invalid configuration, or the daemon failed",
            "2:invalid command line"})
public final class Main implements Callable<Integer> {

    static final int OK = 0;
    static final int INVALID = 1;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            defaultValue = "${sys:stevedore.config:-etc/stevedore.json}",
            description = "Configuration file (default: ${DEFAULT-VALUE}).")
    private Path configFile;

    @Option(names = {"-t", "--test"},
            description = "Check the configuration file and exit: 0 valid, 1 invalid. Contacts no peer.")
    private boolean test;

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with every subcommand registered, ready to {@code execute(args)}. */
    public static CommandLine commandLine() {
        // "@FILE" is a datagram's file for `route`, not picocli's file of arguments.
        return new CommandLine(new Main()).setExpandAtFiles(false);
    }

    @Override
    public Integer call() {
        return test ? check() : run();
    }

    private int check() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            LoadedConfig loaded = ConfigLoader.load(configFile);
            print(out, loaded.warnings(), List.of(), loaded.omitted());
            loaded.notes().forEach(n -> out.println("note: " + n));
            out.println("configuration file " + configFile + " test is successful");
            out.flush();
            return OK;
        } catch (ConfigException e) {
            print(err, e.warnings(), e.errors(), e.omitted());
            err.println("configuration file " + configFile + " test failed");
            err.flush();
            return INVALID;
        }
    }

    private int run() {
        // First of all, so that a signal while the file is read or the sockets bound stops cleanly.
        Signals signals = Signals.install();
        PrintWriter err = spec.commandLine().getErr();
        LoadedConfig loaded;
        try {
            loaded = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            print(err, e.warnings(), e.errors(), e.omitted());
            err.println("configuration file " + configFile
                    + (Files.notExists(configFile) ? " does not exist" : " is invalid") + "; not starting");
            err.flush();
            return INVALID;
        }
        try {
            LogSetup.configure(loaded.config().log());
        } catch (IllegalStateException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return INVALID;
        }
        Logger log = LoggerFactory.getLogger(Main.class);
        log.info("stevedore {} starting with {}", VersionProvider.version(), configFile);
        loaded.warnings().forEach(w -> log.warn("config: {}", w));
        if (loaded.omitted() > 0) {
            log.warn("config: {}", ConfigException.more(loaded.omitted()));
        }
        loaded.notes().forEach(n -> log.info("config: {}", n));
        return runDaemon(configFile, loaded.config(), signals);
    }

    /** One line per problem; what is beyond the loader's cap is one last line that counts it. */
    private static void print(PrintWriter to, List<String> warnings, List<String> errors, int omitted) {
        warnings.forEach(w -> to.println("warning: " + w));
        errors.forEach(line -> to.println("error: " + line));
        if (omitted > 0) {
            to.println(ConfigException.more(omitted));
        }
    }

    /**
     * Runs the data plane in the foreground until SIGTERM or SIGINT, and returns the exit code.
     * {@code configFile} is what SIGHUP reloads through {@link ConfigLoader#load}.
     */
    private static int runDaemon(Path configFile, StevedoreConfig config, Signals signals) {
        Logger log = LoggerFactory.getLogger(Main.class);
        Runner runner;
        try {
            runner = Runner.start(configFile, config, VersionProvider.version());
        } catch (Runner.StartException e) {
            log.error("{}; not starting", e.getMessage());
            return INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("interrupted while starting");
            return INVALID;
        }
        // What start-up made (classes' tables, Netty's pools, the configuration) lives as long as the
        // process. Collected now, before traffic builds, it goes to the old generation at once,
        // rather than being copied from survivor space to survivor space by the first young
        // collections under load, 7-8 MB each time, the bulk of their pauses (docs/performance.md).
        System.gc();
        signals.attach(runner);
        return runner.awaitStop();
    }
}
