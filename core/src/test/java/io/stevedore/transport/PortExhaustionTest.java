package io.stevedore.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the ephemeral ports run out, a new session is refused and counted as {@code session_limit},
 * and the daemon keeps serving the sessions it has without spinning. The ports are run out for
 * real, in a network namespace of the test's own (its port range is its own: the host's is not
 * touched), narrowed to {@link PortExhaustionMain#PORTS} ports. Runs as root (as {@code bin/test}
 * and CI do) or where unprivileged user namespaces are allowed.
 */
class PortExhaustionTest {

    @Test
    void aSessionThatFindsNoPortIsRefusedAndCountedAndTheLoopDoesNotSpin(@TempDir Path dir) throws Exception {
        int first = 61_000;
        String java = ChildProcess.javaCommand(PortExhaustionMain.class).stream()
                .map(PortExhaustionTest::quoted).collect(Collectors.joining(" "));
        String script = "set -e; ip link set lo up; "
                + "echo '" + first + " " + (first + PortExhaustionMain.PORTS - 1)
                + "' > /proc/sys/net/ipv4/ip_local_port_range; exec " + java;
        ChildProcess.Finished run = ChildProcess.run(dir, Map.of(), Duration.ofSeconds(60),
                unshare(script));

        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, Long> result = new HashMap<>();
        run.out().lines().filter(line -> line.matches("[a-z_]+=\\d+")).forEach(line -> {
            String[] kv = line.split("=");
            result.put(kv[0], Long.parseLong(kv[1]));
        });
        assertThat(result.get("sessions")).as("one session per free port").isEqualTo(PortExhaustionMain.PORTS);
        assertThat(result.get("session_limit")).as("the other clients' datagrams, refused and counted")
                .isEqualTo(PortExhaustionMain.CLIENTS - PortExhaustionMain.PORTS);
        assertThat(result.get("replies")).as("every session answered").isEqualTo(PortExhaustionMain.PORTS);
        assertThat(result.get("idle_loop_cpu_ms")).as("event loop CPU over 500 ms without traffic")
                .isLessThan(100);
    }

    /**
     * As root, a network namespace; otherwise a user namespace too, in which the test is root of
     * its own namespaces (where the kernel allows unprivileged user namespaces).
     */
    private static List<String> unshare(String script) {
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> command = new java.util.ArrayList<>(List.of("unshare"));
        if (!root) {
            command.addAll(List.of("--user", "--map-root-user"));
        }
        command.addAll(List.of("--net", "bash", "-c", script));
        return command;
    }

    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
