package io.stevedore.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Sends UDP datagrams with a forged source address, as an attacker on the path could: through a
 * raw socket, which needs root, by a small Python program (Java has no raw sockets). IPv4 only.
 */
public final class Spoof {

    private Spoof() {
    }

    /** Whether this process may open raw sockets: the tests that forge sources run only then. */
    public static boolean possible() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Sends {@code payload} to {@code to} as if from {@code from}; returns once it has left. */
    public static void send(InetSocketAddress from, InetSocketAddress to, byte[] payload)
            throws IOException, InterruptedException {
        assertThat(from.getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(to.getAddress()).isInstanceOf(Inet4Address.class);
        Path script = Files.createTempFile("spoof_udp", ".py");
        try {
            try (InputStream in = Spoof.class.getResourceAsStream("/spoof/spoof_udp.py")) {
                Files.write(script, in.readAllBytes());
            }
            ChildProcess.Finished done = ChildProcess.run(script.getParent(), Map.of(), Duration.ofSeconds(20),
                    List.of("python3", script.toString(), from.getAddress().getHostAddress(),
                            Integer.toString(from.getPort()), to.getAddress().getHostAddress(),
                            Integer.toString(to.getPort()), HexFormat.of().formatHex(payload)));
            assertThat(done.exitCode()).as("spoof_udp.py: %s", done.err()).isZero();
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
