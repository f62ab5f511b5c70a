package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LoadToolTest {

    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        CommandLine cli = LoadTool.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        return cli.execute(args);
    }

    @Test
    void anUnknownShapeIsAUsageError() {
        assertThat(execute("load", "--target", "127.0.0.2:7001", "--shape", "burst")).isEqualTo(LoadTool.EXIT_USAGE);
        assertThat(err.toString()).contains("--shape burst: expected flood, rate or closed");
    }

    @Test
    void compareRefusesAnUnknownPath() {
        assertThat(execute("compare", "--paths", "direct,haproxy")).isEqualTo(LoadTool.EXIT_USAGE);
        assertThat(err.toString()).contains("--paths haproxy");
    }
}
