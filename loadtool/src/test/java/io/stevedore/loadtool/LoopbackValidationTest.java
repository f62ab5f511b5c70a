package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The load tool refuses any address off this machine before a socket opens. The private and
 * public addresses below are only parsed and rejected: nothing is ever sent to them.
 */
class LoopbackValidationTest {

    @Test
    void addressTextOffThisMachineIsRefused() {
        for (String text : new String[] {"10.0.0.1:2345", "192.168.1.1:53", "8.8.8.8:53", "0.0.0.0:7001"}) {
            assertThatThrownBy(() -> Loopback.socketAddress(text))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a loopback address");
        }
        assertThatThrownBy(() -> Loopback.addresses("127.0.0.250-128.0.0.2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a loopback address");
    }

    @Test
    void aLoadSpecWithATargetOffThisMachineIsRefused() {
        assertThatThrownBy(() -> LoadSpec.builder().targets(List.of(new InetSocketAddress("10.0.0.1", 2345))).build())
                .hasMessageContaining("not a loopback address");
    }

    @Test
    void aTargetOffThisMachineOnTheCommandLineIsAUsageErrorAndNothingIsSent() {
        StringWriter err = new StringWriter();
        CommandLine cli = LoadTool.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cli.execute("load", "--target", "10.0.0.1:2345")).isEqualTo(LoadTool.EXIT_USAGE);
        assertThat(err.toString()).contains("10.0.0.1").contains("not a loopback address");
    }
}
