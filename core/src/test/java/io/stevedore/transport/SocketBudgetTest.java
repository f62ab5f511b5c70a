package io.stevedore.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketBudgetTest {

    @TempDir
    Path proc;

    private void write(String limit, String range) throws Exception {
        Files.createDirectories(proc.resolve("self"));
        Files.createDirectories(proc.resolve("sys/net/ipv4"));
        Files.writeString(proc.resolve("self/limits"), """
                Limit                     Soft Limit           Hard Limit           Units
                Max processes             95432                95432                processes
                Max open files            %s                20000                files
                """.formatted(limit));
        Files.writeString(proc.resolve("sys/net/ipv4/ip_local_port_range"), range + "\n");
    }

    @Test
    void aMaxSessionsAboveTheFilesLimitAndThePortRangeNamesBoth() throws Exception {
        write("20000", "32768\t60999");
        assertThat(SocketBudget.shortfalls(100_000, 0, proc)).containsExactly(
                "the open files limit is 20000 (raise it: LimitNOFILE in the systemd unit, or ulimit -n; "
                        + "bin/stevedore lifts the soft limit to the hard one)",
                "net.ipv4.ip_local_port_range (32768 60999) gives 28232 ephemeral ports, one per session socket "
                        + "(list local addresses in Session.SourceAddrs: each adds as many)");
    }

    @Test
    void eachSourceAddressAddsAPortRange() throws Exception {
        write("1048576", "32768\t60999");
        assertThat(SocketBudget.shortfalls(100_000, 4, proc)).isEmpty();
        assertThat(SocketBudget.shortfalls(100_000, 3, proc)).containsExactly(
                "net.ipv4.ip_local_port_range (32768 60999) gives 28232 ephemeral ports, one per session socket "
                        + "per address, 84696 over the 3 of Session.SourceAddrs (list more)");
    }

    @Test
    void roomForEverySessionSaysNothing() throws Exception {
        write("1048576", "1024\t65535");
        assertThat(SocketBudget.shortfalls(50_000, 0, proc)).isEmpty();
        write("unlimited", "1024\t65535");
        assertThat(SocketBudget.shortfalls(50_000, 0, proc)).isEmpty();
    }

    @Test
    void unreadableFilesSayNothing() {
        assertThat(SocketBudget.shortfalls(100_000, 0, proc.resolve("missing"))).isEmpty();
    }
}
