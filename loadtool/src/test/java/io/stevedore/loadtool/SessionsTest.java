package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.control.ControlPlane;
import io.stevedore.transport.Daemon;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The sessions mode at a small scale: what bench/sessions does with 100,000, with 300. */
class SessionsTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        CommandLine cli = LoadTool.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void everySocketBecomesOneSessionOfTheDaemonAndGetsItsReply() throws Exception {
        try (EchoServer echo = EchoServer.start(List.of(
                new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0), "b1"),
                new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.3"), 0), "b2")), 1, 4096)) {
            InetSocketAddress b1 = echo.listeners().get(0).address();
            InetSocketAddress b2 = echo.listeners().get(1).address();
            String json = """
                    { "Server": { "ListenAddr": "127.0.0.1:0", "ListenParallel": 2 },
                      "Session": { "SourceAddrs": [ "127.0.3.1", "127.0.3.2" ] },  // as bench/sessions
                      "Upload": { "DefaultUpstream": "echo", "Upstreams": [ { "Name": "echo", "Type": "chash",
                        "KeyBytes": "0:4", "Peers": [ { "IP": "127.0.0.2", "Port": %d }, { "IP": "127.0.0.3", "Port": %d } ] } ] } }
                    """.formatted(b1.getPort(), b2.getPort());
            try (Daemon daemon = ControlPlane.startDataPlane(ConfigLoader.parse(json).config())) {
                int exit = execute("sessions", "--target", Addresses.format(daemon.listenAddress()), "--count", "300",
                        "--source-ips", "127.0.1.1-127.0.1.3", "--first-port", "20000", "--hold", "0");

                assertThat(exit).as(err.toString()).isZero();
                assertThat(out.toString()).contains("sent 300 from 300 sockets").contains("replies 300")
                        .contains("holding 300").contains("closed");
                assertThat(daemon.sessionCount()).isEqualTo(300);
            }
        }
    }

    @Test
    void portsBeyond65535AreAUsageError() {
        assertThat(execute("sessions", "--target", "127.0.0.1:2614", "--count", "1000", "--source-ips", "127.0.1.1",
                "--first-port", "65000")).isEqualTo(LoadTool.EXIT_USAGE);
        assertThat(err.toString()).contains("--first-port 65000").contains("give more --source-ips");
    }
}
