package io.stevedore.cli;

import io.stevedore.config.LogConfig;
import io.stevedore.demo.Demo;
import io.stevedore.logging.LogSetup;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stevedore demo}: see {@link Demo}. Exit code 0 when every check of the demo holds, else 1. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Replays the original Stevedore's two examples (KCP, protocol version) on this machine (127.0.0.x only, about 10 s, nothing to configure).",
            "KCP conversations through a failover to a backup peer, then protocol-version routing with a deny default."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check of the demo holds", "1:a check failed or a socket could not be opened"})
final class DemoCommand implements Callable<Integer> {

    @Option(names = {"-v", "--verbose"},
            description = "Also show the load balancer's own log (peer state changes, listening sockets) on stderr.")
    private boolean verbose;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        LogSetup.configure(new LogConfig("", verbose ? "info" : "warn", false,
                LogConfig.DEFAULT_MAX_AGE_HOUR, LogConfig.DEFAULT_ROTATION_TIME_HOUR));
        return Demo.run(spec.commandLine().getOut());
    }
}
