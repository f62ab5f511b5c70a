package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.ChildProcess.Finished;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stevedore route} against the shipped example configuration, as an operator types it. */
class RouteCommandTest {

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run route(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        String[] full = new String[args.length + 3];
        full[0] = "route";
        full[1] = "-c";
        full[2] = "etc/stevedore.json";
        System.arraycopy(args, 0, full, 3, args.length);
        int code = cli.execute(full);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void explainsARouteMatchTheKeyAndThePeer() {
        Run run = route("0a0b0c0d 0002 ffff");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out().lines()).startsWith(
                "datagram: 8 bytes from a new client",
                "route 0: bytes 4:6 0x0002 == 0x0002: match, upstream \"v2\"");
        assertThat(run.out()).contains("upstream \"v2\": rr: smooth weighted round robin");
        assertThat(run.out().lines()).last().asString().startsWith("peer: 127.0.0.");
    }

    @Test
    void explainsTheDefaultAndADenyRoute() {
        Run kcp = route("0x0a0b0c0d00030000");
        assertThat(kcp.out().lines()).contains(
                "route 0: bytes 4:6 0x0003 == 0x0002: no match",
                "route 1: bytes 0:4 0x0a0b0c0d == 0x00000000: no match",
                "no route matched: Upload.DefaultUpstream",
                "key bytes: 0x0a0b0c0d");
        Run denied = route("00000000 0003");
        assertThat(denied.exitCode()).isZero();
        assertThat(denied.out().lines()).last().asString()
                .isEqualTo("drop: no_route (the matching route names upstream \"deny\", which does not exist)");
    }

    @Test
    void jsonHasTheDecisionInFourFields() throws Exception {
        JsonNode kcp = new JsonMapper().readTree(route("--json", "0a0b0c0d00030000").out());
        assertThat(kcp.get("route").asText()).isEqualTo("default");
        assertThat(kcp.get("upstream").asText()).isEqualTo("kcp");
        assertThat(kcp.get("peer").asText()).matches("127\\.0\\.0\\.\\d+:\\d+");
        assertThat(kcp.get("drop").isNull()).isTrue();
        assertThat(kcp.get("key").asText()).isEqualTo("0a0b0c0d");
        assertThat(kcp.get("routes")).hasSize(2);

        JsonNode loop = new JsonMapper().readTree(route("--json", "--from", "127.0.0.1:2614", "01").out());
        assertThat(loop.get("peer").isNull()).isTrue();
        assertThat(loop.get("drop").asText()).isEqualTo("loop");
        assertThat(loop.get("route").isNull()).isTrue();
    }

    @Test
    void readsRawBytesFromAFile() throws Exception {
        Path file = Files.write(dir.resolve("datagram.bin"), new byte[] {10, 11, 12, 13, 0, 2});
        assertThat(route("@" + file).out()).contains("match, upstream \"v2\"");
    }

    @Test
    void aBadDatagramOrSourceIsACommandLineError() {
        Run hex = route("0xzz");
        assertThat(hex.exitCode()).isEqualTo(2);
        assertThat(hex.err()).contains("DATAGRAM \"0xzz\" is not hex bytes");
        Run from = route("--from", "somewhere", "01");
        assertThat(from.exitCode()).isEqualTo(2);
        assertThat(from.err()).contains("--from \"somewhere\" has no port");
        Run missing = route("@" + dir.resolve("absent.bin"));
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read");
    }

    @Test
    void runsAsItsOwnProcessAndOpensNoSocket() throws Exception {
        Finished r = ChildProcess.run(Path.of("").toAbsolutePath(), java.util.Map.of(), java.time.Duration.ofSeconds(60),
                ChildProcess.javaCommand(Main.class, "route", "-c", "etc/stevedore.json", "--json", "0a0b0c0d0002"));
        assertThat(r.exitCode()).isZero();
        assertThat(new JsonMapper().readTree(r.out()).get("upstream").asText()).isEqualTo("v2");
        assertThat(r.err()).isEmpty();
    }
}
