package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.ChildProcess.Finished;
import io.stevedore.testing.Fifo;
import io.stevedore.testing.SeedFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stevedore} run as a process, as an operator runs it: exit codes and what goes to stdout
 * and stderr. The seed's files (10.0.0.x peers) are only checked with {@code -t}, never run.
 */
class CliConfigCheckTest {

    /** Room for a JVM to start, and for the demo to keep its own bound of about 30 s. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** {@code stevedore args...} in a JVM of its own, from the project directory, as an operator runs it. */
    static Finished stevedore(String... args) throws Exception {
        return ChildProcess.run(Path.of("").toAbsolutePath(), Map.of(), TIMEOUT,
                ChildProcess.javaCommand(Main.class, args));
    }

    @Test
    void testingTheExampleConfigSucceedsWithoutWarningsAndItsNotesOnStdout() throws Exception {
        Finished r = stevedore("-t", "-c", "etc/stevedore.json");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out().lines()).last().isEqualTo("configuration file etc/stevedore.json test is successful");
        assertThat(r.out().lines()).contains(
                "note: Upload.Routes[1].Upstream \"deny\" names no upstream: datagrams matching this route are dropped");
        assertThat(r.out()).doesNotContain("warning:");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void theSeedExamplesPassTheTest() throws Exception {
        for (String name : List.of("kcp-conversation.json", "protocol-version.json")) {
            Path file = SeedFiles.path(name);
            Finished r = stevedore("--test", "--config", file.toString());

            assertThat(r.exitCode()).as(name).isZero();
            assertThat(r.out()).as(name).endsWith("configuration file " + file + " test is successful\n");
            assertThat(r.err()).as(name).isEmpty();
        }
    }

    @Test
    void aQuicUpstreamPassesTheTest() throws Exception {
        Path file = Files.writeString(dir.resolve("quic.json"), """
                {
                  "Upload": {
                    "DefaultUpstream": "quic",
                    "Upstreams": [{
                      "Name": "quic", "Type": "quic",
                      "QuicLB": [{"ConfigId": 0, "ServerIdLength": 3, "NonceLength": 4},
                                 {"ConfigId": 1, "ServerIdLength": 3, "NonceLength": 12,
                                  "Key": "0x8f95f09245765f80256934e50c66207f"}],
                      "Peers": [{"IP": "127.0.0.2", "Port": 4433, "ServerId": "0x000001"},
                                {"IP": "127.0.0.3", "Port": 4433, "ServerId": "0x000002"}]
                    }]
                  }
                }
                """);

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("configuration file " + file + " test is successful\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void anInvalidFileFailsWithOneErrorPerLineOnStderrAndNoStackTrace() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.json"), """
                {
                  "Server": {"BufSize": 70000},
                  "Upload": {
                    "DefaultUpstream": "a",
                    "Upstreams": [{"Name": "a", "Type": "rr", "Peer": [{"IP": "127.0.0.2", "Port": 4001}]}]
                  }
                }
                """);

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(""
                + "error: Server.BufSize: 70000 is out of range; expected an integer from 1 to 65535\n"
                + "error: Upload.Upstreams[0].Peer: unknown key, did you mean \"Peers\"?\n"
                + "error: Upload.Upstreams[0].Peers: missing; expected at least one peer { \"IP\": ..., \"Port\": ... }\n"
                + "configuration file " + file + " test failed\n");
    }

    @Test
    void anUnknownProxyProtocolVersionAndABadBlockFailTheTestNamingTheirPaths() throws Exception {
        Path file = Files.writeString(dir.resolve("proxy.json"), """
                {
                  "Server": {"ProxyProtocolFrom": ["127.0.0.0/8", "127.0.0/8"]},
                  "Upload": {
                    "DefaultUpstream": "a",
                    "Upstreams": [{"Name": "a", "Type": "rr", "ProxyProtocol": "v3", "Peers": [{"IP": "127.0.0.2", "Port": 4001}]}]
                  }
                }
                """);

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(""
                + "error: Server.ProxyProtocolFrom[1]: \"127.0.0/8\" is not an address block; expected an address block"
                + " ip/prefix or an IP address, e.g. \"127.0.0.0/8\" or \"::1\"\n"
                + "error: Upload.Upstreams[0].ProxyProtocol: \"v3\" is not a PROXY protocol version for UDP; expected \"v2\""
                + " (a PROXY protocol version 2 header on every datagram), or no key for none\n"
                + "configuration file " + file + " test failed\n");
    }

    @Test
    void aTypoFailsTheTestNamingThePathAndTheKeyMeant() throws Exception {
        Path file = Files.writeString(dir.resolve("typo.json"), """
                {
                  "Upload": {
                    "DefaultUpstrem": "a",
                    "Upstreams": [{"Name": "a", "Type": "rr", "Peers": [{"IP": "127.0.0.2", "Port": 4001}]}]
                  }
                }
                """);

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(""
                + "warning: Upload: no Routes and DefaultUpstream names no upstream: every datagram is dropped\n"
                + "error: Upload.DefaultUpstrem: unknown key, did you mean \"DefaultUpstream\"?\n"
                + "configuration file " + file + " test failed\n");
    }

    @Test
    void twoHundredThousandUnknownKeysPrintFiftyErrorsAndOneLineForTheRest() throws Exception {
        StringBuilder text = new StringBuilder("{\"Upload\": {\"DefaultUpstream\": \"a\", \"Upstreams\": [{\"Name\": \"a\","
                + " \"Type\": \"rr\", \"Peers\": [{\"IP\": \"127.0.0.2\", \"Port\": 4001}]}]}");
        for (int i = 0; i < 200_000; i++) {
            text.append(",\n\"Key").append(i).append("\": true");
        }
        Path file = Files.writeString(dir.resolve("keys.json"), text.append("}\n"));

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        List<String> lines = r.err().lines().toList();
        assertThat(lines).hasSize(52);
        assertThat(lines.subList(0, 50)).allSatisfy(line -> assertThat(line).startsWith("error: Key").contains(": unknown key"));
        assertThat(lines.subList(50, 52)).containsExactly(
                "\u2026 and 199950 more", "configuration file " + file + " test failed");
    }

    @Test
    void runningWithATypoDoesNotStart() throws Exception {
        Path file = Files.writeString(dir.resolve("typo.json"), """
                {"Session": {"TimeoutSecs": 60},
                 "Upload": {"DefaultUpstream": "a",
                            "Upstreams": [{"Name": "a", "Type": "rr", "Peers": [{"IP": "127.0.0.2", "Port": 4001}]}]}}
                """);

        Finished r = stevedore("-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(""
                + "error: Session.TimeoutSecs: unknown key, did you mean \"TimeoutSec\"?\n"
                + "configuration file " + file + " is invalid; not starting\n");
    }

    @Test
    void aReadBufferTooLargeForEachListenerFailsTheTestNamingBothKeys() throws Exception {
        Path file = Files.writeString(dir.resolve("huge-batches.json"), """
                {
                  "Server": {"BatchSize": 1024, "BufSize": 65535},
                  "Upload": {
                    "DefaultUpstream": "a",
                    "Upstreams": [{"Name": "a", "Type": "rr", "Peers": [{"IP": "127.0.0.2", "Port": 4001}]}]
                  }
                }
                """);

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(""
                + "error: Server.BatchSize: 1024 slots of Server.BufSize 65535 + 1 bytes make each listening socket's"
                + " read buffer 67108864 bytes (64 MiB); expected at most 8388608 bytes (8 MiB): BatchSize at most 128"
                + " with this BufSize, or BufSize at most 8191 with this BatchSize\n"
                + "configuration file " + file + " test failed\n");
    }

    @Test
    void malformedJsonFailsWithLineAndColumn() throws Exception {
        Path file = Files.writeString(dir.resolve("broken.json"), "{\n  \"Upload\": {\n    \"Upstreams\": [\n  }\n}\n");

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: malformed JSON at line 4, column 3: ")
                .endsWith("configuration file " + file + " test failed\n")
                .doesNotContain("Exception", "\tat ");
    }

    @Test
    void aMissingFileFailsClearly() throws Exception {
        Path file = dir.resolve("missing.json");

        Finished r = stevedore("-t", "-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: " + file + ": no such file\nconfiguration file " + file + " test failed\n");

        Finished run = stevedore("-c", file.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: " + file + ": no such file\n"
                + "configuration file " + file + " does not exist; not starting\n");
    }

    @Test
    void runningWithAnInvalidFileDoesNotStart() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.json"), "{\"Session\": {\"TimeoutSec\": -1}}");

        Finished r = stevedore("-c", file.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(""
                + "error: Session.TimeoutSec: -1 is out of range; expected an integer of at least 1\n"
                + "error: Upload: missing; expected { \"Upstreams\": [ ... ] }, with optional Routes and DefaultUpstream\n"
                + "configuration file " + file + " is invalid; not starting\n");
    }

    @Test
    void startingOnAFifoFailsAtOnceNamingWhatItIs() throws Exception {
        Path fifo = Fifo.make(dir.resolve("stevedore.json"));

        Finished r = stevedore("-c", fifo.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("error: " + fifo + ": is a FIFO (named pipe), not a regular file; expected a JSON"
                + " configuration file\nconfiguration file " + fifo + " is invalid; not starting\n");
    }

    @Test
    void versionPrintsTheProjectVersion() throws Exception {
        Finished r = stevedore("--version");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("stevedore 0.1.0\n");
    }

    @Test
    void helpListsTheOptionsAndExitCodes() throws Exception {
        Finished r = stevedore("-h");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("-c, --config=FILE", "-t, --test", "--version", "Exit codes:");
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithExitCode2() throws Exception {
        Finished r = stevedore("--frobnicate");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("Unknown option: '--frobnicate'");
    }
}
