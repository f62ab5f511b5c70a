package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.ChildProcess.Finished;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code stevedore demo} run as a process, as a newcomer runs it: it must exit 0 within its
 * bound, and the tables it prints must show what the product promises. The facts are read back
 * from the tables themselves, not only from the demo's own checks.
 */
class DemoCommandTest {

    /** The demo's promise: about 30 s at most, however loaded the machine. */
    private static final double BOUND_SECONDS = 30;

    /** The table lines after the line starting with {@code title}, up to the next blank line, cells split. */
    private static List<String[]> table(String out, String title) {
        List<String> lines = out.lines().toList();
        int at = 0;
        while (!lines.get(at).strip().startsWith(title)) {
            at++;
        }
        List<String[]> rows = new ArrayList<>();
        for (int i = at + 1; i < lines.size() && !lines.get(i).isBlank(); i++) {
            rows.add(lines.get(i).strip().split(" {2,}"));
        }
        return rows;
    }

    private static String ip(String cell) {
        return cell.replace(" *", "");
    }

    @Test
    void theDemoExitsZeroWithinItsBoundAndItsTablesShowFailoverBackupAndVersionRouting() throws Exception {
        Finished r = CliConfigCheckTest.stevedore("demo");

        assertThat(r.exitCode()).as("exit code; output:%n%s%s", r.out(), r.err()).isZero();
        Matcher finished = Pattern.compile("Demo finished in ([0-9.]+) s: every check holds\\.").matcher(r.out());
        assertThat(finished.find()).as("the closing line in:%n%s", r.out()).isTrue();
        assertThat(Double.parseDouble(finished.group(1))).isLessThan(BOUND_SECONDS);
        assertThat(r.out()).doesNotContain("FAILED").doesNotContainIgnoringCase("seed").contains(
                "ok      stickiness: 0 of 12 conversations on two backends within a steady phase",
                "ok      backup: 0 datagrams before every primary was down",
                "ok      backup: 0 datagrams once a primary was back");
        assertThat(r.err()).as("nothing logged at warn or above").isEmpty();

        // Conversations: client, conv, then the backend in each phase (the client cell is blank on
        // the rows of a socket's second and third conversations).
        List<String[]> conversations = table(r.out(), "Conversation -> backend");
        String[] header = conversations.get(0);
        assertThat(header).containsExactly("client", "conv", "all up", header[3], "backup only", header[5], "all back");
        String victim = "127.0.0" + header[3].replace(" dead", "");
        int moved = 0;
        int othersMoved = 0;
        for (String[] row : conversations.subList(1, conversations.size())) {
            String[] phases = java.util.Arrays.copyOfRange(row, row.length - 5, row.length);
            String before = ip(phases[0]);
            String oneDown = ip(phases[1]);
            assertThat(oneDown).as("with %s dead", victim).isNotEqualTo(victim).isNotEqualTo("127.0.0.5");
            moved += before.equals(victim) ? 1 : 0;
            othersMoved += !before.equals(victim) && !oneDown.equals(before) ? 1 : 0;
            assertThat(ip(phases[2])).as("every primary dead").isEqualTo("127.0.0.5");
            assertThat(ip(phases[3])).as("only %s back", victim).isEqualTo(victim);
            assertThat(ip(phases[4])).as("all back").isEqualTo(before);
        }
        assertThat(conversations).hasSize(13);
        assertThat(moved).as("conversations of the killed primary").isPositive();
        assertThat(r.out()).contains("ok      failover: the " + moved + " conversations of " + victim
                + " moved to the other primaries; " + othersMoved + " of the other " + (12 - moved) + " moved");

        // Datagrams per backend and phase: the backup idles until no primary is left.
        List<String[]> datagrams = table(r.out(), "Datagrams each backend received");
        String[] backup = datagrams.get(4);
        assertThat(backup[0]).startsWith("127.0.0.5:");
        assertThat(java.util.Arrays.copyOfRange(backup, 1, 7)).containsExactly("backup", "0", "0", backup[4], "0", "0");
        assertThat(Long.parseLong(backup[4])).as("datagrams at the backup while every primary is dead").isPositive();
        for (String[] primary : datagrams.subList(1, 4)) {
            assertThat(primary[4]).as("%s while every primary is dead", primary[0]).isEqualTo("0");
        }

        List<String[]> versions = table(r.out(), "datagrams");
        assertThat(versions).hasSize(4);
        assertThat(versions.get(0)).containsExactly("ver 0x0001", "10", "10", "127.0.0.6: 5, 127.0.0.7: 5", "0");
        assertThat(versions.get(1)).containsExactly("ver 0x0002", "10", "10", "127.0.0.8: 10", "0");
        assertThat(versions.get(2)).containsExactly("ver 0x0003", "10", "0", "-", "10");
        assertThat(versions.get(3)).containsExactly("4 bytes, no ver field", "5", "0", "-", "5");
    }

    @Test
    void theDemoIsListedInTheHelp() throws Exception {
        Finished r = CliConfigCheckTest.stevedore("--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("demo", "Replays the original Stevedore's two examples (KCP, protocol version)");
        assertThat(CliConfigCheckTest.stevedore("demo", "--help").out()).doesNotContainIgnoringCase("seed");
    }

    @Test
    void theQuicSceneShowsAConnectionKeepingItsServerAcrossARebinding() throws Exception {
        Finished r = CliConfigCheckTest.stevedore("demo", "quic");

        assertThat(r.exitCode()).as("exit code; output:%n%s%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("Demo finished in").doesNotContain("FAILED")
                .contains("ok      QUIC: the servers accepted 1 connection(s), no new one after a rebinding");
        List<String[]> steps = table(r.out(), "step");
        assertThat(steps).hasSize(2);
        assertThat(steps.get(1)[1]).as("the client's address as the load balancer sees it changed")
                .isNotEqualTo(steps.get(0)[1]);
        assertThat(steps.get(1)[2]).as("the server that answered").isEqualTo(steps.get(0)[2]);
        assertThat(r.err()).as("nothing logged at warn or above").isEmpty();
    }
}
