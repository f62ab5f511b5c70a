package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import io.stevedore.testing.ChildProcess;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** The real dig, asking for one A record with or without the RD (recursion desired) flag. */
final class Dig {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private Dig() {
    }

    /** The answer section of {@code name}'s A record as dig +short prints it; fails if dig does. */
    static String queryA(InetSocketAddress server, String name, boolean recursionDesired) throws InterruptedException {
        return run(List.of(RequiredProgram.DIG.path(),
                "@" + server.getAddress().getHostAddress(), "-p", Integer.toString(server.getPort()),
                name, "A", recursionDesired ? "+rec" : "+norec",
                "+short", "+tries=1", "+time=2"));
    }

    /**
     * dig's whole report of {@code name}'s A record, asked from {@code source} ({@code dig -b}):
     * its header line gives the status ({@code status: REFUSED}), its answer section the records.
     */
    static String queryAFrom(InetAddress source, InetSocketAddress server, String name) throws InterruptedException {
        return run(List.of(RequiredProgram.DIG.path(), "-b", source.getHostAddress(),
                "@" + server.getAddress().getHostAddress(), "-p", Integer.toString(server.getPort()),
                name, "A", "+tries=1", "+time=2"));
    }

    private static String run(List<String> command) throws InterruptedException {
        try (ChildProcess dig = ChildProcess.start("dig", command, null)) {
            if (!dig.awaitExit(TIMEOUT)) {
                fail("dig still running after " + TIMEOUT.toSeconds() + " s: " + dig.describe());
            }
            if (dig.exitCode() != 0) {
                fail(String.join(" ", command) + " failed: " + dig.describe());
            }
            return dig.output().strip();
        }
    }
}
