package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The comparison end to end on the direct path only, with the proxies reported missing. Half a
 * second of warm-up: on a loaded machine the echo backends may answer nothing in the first 0.1 s.
 */
class CompareTest {

    /** What {@code stevedore-load compare ARGS} returned and wrote to its error stream. */
    private record Ran(int exit, String err) {
    }

    private static Ran compare(String... args) {
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = LoadTool.commandLine();
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "compare";
        System.arraycopy(args, 0, all, 1, args.length);
        return new Ran(cli.execute(all), err.toString());
    }

    @Test
    void measuresTheDirectPathAndReportsMissingProxiesAsNa(@TempDir Path work) throws IOException {
        Ran ran = compare("--rounds", "1", "--duration", "0.5", "--warmup", "0.5",
                "--paths", "direct,stevedore,nginx-1w",
                "--stevedore", work.resolve("no-such-launcher").toString(),
                "--nginx", work.resolve("no-such-nginx").toString(),
                "--echo-threads", "2",
                "--work", work.toString());

        assertThat(ran.exit()).as(ran.err()).isZero();
        String report = Files.readString(work.resolve("compare.md"));
        assertThat(report).contains("(one JVM, 2 threads)");
        assertThat(report).containsPattern("\\| direct, no proxy \\| \\d+(\\.\\d)?k?/s \\(");
        assertThat(report).contains("| Stevedore, chash 0:4, ListenParallel 2 | n/a | n/a | n/a | n/a |");
        assertThat(report).contains("n/a for stevedore: " + work.resolve("no-such-launcher") + " not found");
        assertThat(report).contains("n/a for nginx-1w: " + work.resolve("no-such-nginx") + " not found");
        JsonNode runs = new ObjectMapper().readTree(work.resolve("compare.json").toFile());
        assertThat(runs).hasSize(CompareShape.values().length);
        for (JsonNode run : runs) {
            assertThat(run.get("path").asText()).isEqualTo("direct");
            assertThat(run.get("result").get("received").asLong()).isPositive();
            assertThat(run.get("result").get("conversationsOnSeveralBackends").asInt()).isZero();
            // Only the flood takes the census of queues; the direct path has no proxy's column.
            boolean flood = run.get("shape").asText().equals("flood");
            assertThat(run.get("queued").isNull()).isEqualTo(!flood);
            if (flood) {
                assertThat(run.get("queued").get("samples").asInt()).isPositive();
                assertThat(run.get("queued").get("proxy").isNull()).isTrue();
            }
        }
        assertThat(report).contains("| path | proxy's sockets | echo backends' | load client's |");
        assertThat(report).containsPattern("\\| direct \\| n/a \\| \\d[^|]* ms \\| \\d[^|]* ms \\|");
    }

    @Test
    void theNativeClientFloodsTheDirectPath(@TempDir Path work) throws IOException {
        Ran ran = compare("--rounds", "1", "--duration", "0.5", "--warmup", "0.5",
                "--paths", "direct", "--shapes", "flood", "--client", "native", "--work", work.toString());

        assertThat(ran.exit()).as(ran.err()).isZero();
        String report = Files.readString(work.resolve("compare.md"));
        assertThat(report).contains("the flood's load client udpflood (native, C)");
        assertThat(report).containsPattern("\\| direct, no proxy \\| \\d+(\\.\\d)?k?/s \\(");
        JsonNode run = new ObjectMapper().readTree(work.resolve("compare.json").toFile()).get(0);
        assertThat(run.get("result").get("description").asText()).endsWith("native client");
        assertThat(run.get("result").get("received").asLong()).isPositive();
        assertThat(run.get("queued").get("samples").asInt()).isPositive();
    }

    @Test
    void anUnknownClientIsRefused(@TempDir Path work) {
        Ran ran = compare("--paths", "direct", "--client", "rust", "--work", work.toString());

        assertThat(ran.exit()).isNotZero();
        assertThat(ran.err()).contains("--client rust: expected jvm or native");
    }
}
