package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.ChildProcess.Finished;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release package as an operator gets it: {@code server/target/stevedore-VERSION.tar.gz} (built
 * by {@code package}, before this runs under failsafe) unpacked into an empty directory with
 * {@code tar}, and its own {@code bin/stevedore} run from there. Failsafe names the package; a
 * surefire run that picks this class up too (a {@code -Dtest} pattern such as {@code '!X'}
 * overrides surefire's own exclusion of {@code *IT}) has no package to test and leaves it out.
 */
@EnabledIfSystemProperty(named = "stevedore.package", matches = ".+",
        disabledReason = "run by failsafe after package (mvn verify), which names the package")
class ReleasePackageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String VERSION = System.getProperty("stevedore.version");

    @TempDir
    Path dir;
    private Path home;

    private static Finished run(Path workDir, Map<String, String> env, String... command) throws Exception {
        return ChildProcess.run(workDir, env, TIMEOUT, List.of(command));
    }

    @BeforeEach
    void unpack() throws Exception {
        Path archive = Path.of(System.getProperty("stevedore.package"));
        assertThat(archive).isRegularFile();
        Finished tar = run(dir, Map.of(), "tar", "-xzf", archive.toString());
        assertThat(tar.exitCode()).as(tar.err()).isZero();
        home = dir.resolve("stevedore-" + VERSION);
    }

    @Test
    void theArchiveHoldsOneDirectoryLaidOutLikeTheOriginals() throws Exception {
        try (Stream<Path> top = Files.list(dir)) {
            assertThat(top).containsExactly(home);
        }
        for (String sub : List.of("bin", "etc", "lib", "log", "docs")) {
            assertThat(home.resolve(sub)).isDirectory();
        }
        try (Stream<Path> log = Files.list(home.resolve("log"))) {
            assertThat(log).isEmpty();
        }
        assertThat(Files.getPosixFilePermissions(home.resolve("bin/stevedore")))
                .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
        assertThat(home.resolve("etc/stevedore.json")).isRegularFile();
        assertThat(home.resolve("docs/operations-systemd.md")).isRegularFile();
        for (String module : List.of("stevedore", "stevedore-core", "stevedore-demo")) {
            assertThat(home.resolve("lib/" + module + "-" + VERSION + ".jar")).isRegularFile();
        }
        try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
            // the daemon only: no test code, no benchmarks, no load tool (nor its HdrHistogram)
            assertThat(lib.map(p -> p.getFileName().toString()))
                    .anyMatch(name -> name.startsWith("netty-transport-native-epoll-") && name.endsWith("-linux-x86_64.jar"))
                    .noneMatch(name -> name.startsWith("junit") || name.startsWith("assertj") || name.startsWith("jmh"))
                    .noneMatch(name -> name.startsWith("stevedore-testing") || name.startsWith("stevedore-loadtool")
                            || name.startsWith("stevedore-benchmarks") || name.startsWith("HdrHistogram")
                            || name.contains("-tests"));
        }
    }

    /** The README's commands for the package, as written there, in the order given. */
    private static List<String> readmePackageCommands() throws Exception {
        List<String> readme = Files.readAllLines(Path.of("README.md"));
        int at = readme.indexOf("### The release package");
        assertThat(at).as("the README's section on the release package").isNotNegative();
        int open = readme.subList(at, readme.size()).indexOf("```bash") + at;
        int close = readme.subList(open + 1, readme.size()).indexOf("```") + open + 1;
        return readme.subList(open + 1, close).stream()
                .map(line -> line.replaceFirst("\\s+#.*$", ""))
                .toList();
    }

    @Test
    void theReadmesCommandsRunAsWrittenFromWhereItSays() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains("holds one directory, `stevedore-" + VERSION + "/`")
                .contains("but first runs every unit").contains("(2 to 3 minutes)").contains("with `-DskipTests`");
        List<String> commands = readmePackageCommands();
        String tarball = "server/target/stevedore-" + VERSION + ".tar.gz";
        assertThat(commands).containsExactly(
                "mvn -B -ntp package -DskipTests",
                "tar -xzf " + tarball + " -C /opt",
                "cd /opt/stevedore-" + VERSION,
                "bin/stevedore -t -c etc/stevedore.json",
                "bin/stevedore -c etc/stevedore.json");

        // Everything but the build (done) and the foreground run, with /opt replaced by an empty
        // directory of our own and run from the project's root, where the README's commands start.
        Path target = Files.createDirectories(dir.resolve("opt"));
        String script = String.join(" && ", commands.subList(1, 4))
                .replace(tarball, Path.of(System.getProperty("stevedore.package")).toAbsolutePath().toString())
                .replace("/opt", target.toString());
        Finished r = run(Path.of("").toAbsolutePath(), Map.of(), "bash", "-c", script);

        assertThat(r.exitCode()).as("%s%n%s", script, r.err()).isZero();
        assertThat(r.out().lines()).last().isEqualTo("configuration file etc/stevedore.json test is successful");
        try (Stream<Path> unpacked = Files.list(target)) {
            assertThat(unpacked).containsExactly(target.resolve("stevedore-" + VERSION));
        }
    }

    @Test
    void itsLauncherChecksTheConfigAndPrintsTheVersionFromWhereverItIsUnpacked() throws Exception {
        Finished check = run(home, Map.of(), "bin/stevedore", "-t", "-c", "etc/stevedore.json");
        assertThat(check.exitCode()).as(check.err()).isZero();
        assertThat(check.out().lines()).last().isEqualTo("configuration file etc/stevedore.json test is successful");
        assertThat(check.err()).isEmpty();

        Finished version = run(home, Map.of(), "bin/stevedore", "--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).isEqualTo("stevedore " + VERSION + "\n");

        // From elsewhere, without -c: the package's own etc/stevedore.json.
        Finished fromElsewhere = run(dir, Map.of(), home.resolve("bin/stevedore").toString(), "-t");
        assertThat(fromElsewhere.exitCode()).as(fromElsewhere.err()).isZero();
        assertThat(fromElsewhere.out().lines()).last()
                .isEqualTo("configuration file " + home.toRealPath().resolve("etc/stevedore.json") + " test is successful");
    }

    @Test
    void javaOptsComeAfterTheDefaultsAndTheOpenFilesSoftLimitIsRaisedToTheHardLimit() throws Exception {
        // A stand-in java that reports its open-files limits and the command line it was given.
        Path fakeJdk = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = Files.writeString(fakeJdk.resolve("java"),
                "#!/bin/sh\necho \"nofile $(ulimit -S -n) $(ulimit -H -n)\"\nfor a in \"$@\"; do echo \"$a\"; done\n");
        assertThat(java.toFile().setExecutable(true)).isTrue();

        Finished r = run(home, Map.of("JAVA_HOME", dir.resolve("jdk").toString(), "JAVA_OPTS", "-Xmx2g -Dextra=1"),
                "bash", "-c", "ulimit -S -n 256 && exec bin/stevedore --version");

        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        String[] limits = lines.get(0).split(" ");
        if (!limits[2].equals("unlimited")) {
            assertThat(limits[1]).as("soft limit, raised from 256").isEqualTo(limits[2]);
        }
        assertThat(lines.subList(1, lines.size())).containsExactly(
                "-XX:+UseParallelGC", "-XX:MaxTenuringThreshold=1", "-Xms256m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
                "-Dio.netty.leakDetection.level=disabled", "-Dio.netty.allocator.lowMemory=false",
                "-Dio.netty.allocator.maxCachedBufferCapacity=262144",
                "-Dstevedore.config=" + home.toRealPath().resolve("etc/stevedore.json"),
                "-Xmx2g", "-Dextra=1",
                "-cp", home.toRealPath().resolve("lib") + "/*", "io.stevedore.cli.Main", "--version");
    }

    @Test
    void theSystemdUnitRunsTheLauncherInTheForegroundAndReloadsWithSighup() throws Exception {
        List<String> unit = Files.readAllLines(home.resolve("etc/stevedore.service"));

        assertThat(unit).contains(
                "Type=simple",
                "ExecStart=/opt/stevedore/bin/stevedore -c /opt/stevedore/etc/stevedore.json",
                "ExecReload=/bin/kill -HUP $MAINPID",
                "Restart=on-failure",
                "LimitNOFILE=1048576",
                "WantedBy=multi-user.target");
    }
}
