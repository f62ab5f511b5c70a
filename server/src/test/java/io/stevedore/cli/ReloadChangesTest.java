package io.stevedore.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.config.UploadConfig;
import org.junit.jupiter.api.Test;

/** The reload line names what changed in {@code Upload}: one case per kind of change. */
class ReloadChangesTest {

    private static final String ROUTES = "'Routes': [{'KeyBytes': '0:1', 'Operator': '==', 'Value': '0x01', 'Upstream': 'a'}], ";
    private static final String CHECK = "'HealthChecker': {'HeartbeatIntervalSec': 5}";

    private static UploadConfig upload(String routes, String peers, String health) throws Exception {
        String json = ("{'Upload': {'DefaultUpstream': 'a', " + routes + "'Upstreams': [{'Name': 'a', 'Type': 'rr', "
                + "'Peers': [" + peers + "]" + (health.isEmpty() ? "" : ", " + health) + "}]}}").replace('\'', '"');
        return ConfigLoader.parse(json).config().upload();
    }

    private static String change(String routesBefore, String peersBefore, String healthBefore,
            String routesAfter, String peersAfter, String healthAfter) throws Exception {
        return ReloadChanges.describe(upload(routesBefore, peersBefore, healthBefore),
                upload(routesAfter, peersAfter, healthAfter));
    }

    private static final String TWO = "{'IP': '127.0.0.2', 'Port': 7000}, {'IP': '127.0.0.3', 'Port': 7000}";

    @Test
    void theSameFileIsUploadUnchanged() throws Exception {
        assertThat(change(ROUTES, TWO, CHECK, ROUTES, TWO, CHECK)).isEqualTo("Upload unchanged");
    }

    @Test
    void aWeightChangeIsNamedWithItsPeerAndBothValues() throws Exception {
        assertThat(change("", TWO, "", "", "{'IP': '127.0.0.2', 'Port': 7000, 'Weight': 3}, {'IP': '127.0.0.3', 'Port': 7000}", ""))
                .isEqualTo("upstream a: peer 127.0.0.2:7000 weight 1 -> 3");
    }

    @Test
    void drainingIsNamedWhenItStartsAndWhenItStops() throws Exception {
        String draining = "{'IP': '127.0.0.2', 'Port': 7000, 'Drain': true}, {'IP': '127.0.0.3', 'Port': 7000}";
        assertThat(change("", TWO, "", "", draining, "")).isEqualTo("upstream a: peer 127.0.0.2:7000 drains");
        assertThat(change("", draining, "", "", TWO, "")).isEqualTo("upstream a: peer 127.0.0.2:7000 no longer drains");
    }

    @Test
    void aBackupFlagPeersAddedAndRemovedRoutesAndHealthChecksAreNamed() throws Exception {
        assertThat(change("", TWO, "", "", "{'IP': '127.0.0.2', 'Port': 7000}, {'IP': '127.0.0.3', 'Port': 7000, 'Backup': true}", ""))
                .isEqualTo("upstream a: peer 127.0.0.3:7000 now the backup");
        assertThat(change("", TWO, "", "", "{'IP': '127.0.0.2', 'Port': 7000}, {'IP': '127.0.0.4', 'Port': 7000}", ""))
                .isEqualTo("upstream a: peer +127.0.0.4:7000; upstream a: peer -127.0.0.3:7000");
        assertThat(change("", TWO, "", ROUTES, TWO, "")).isEqualTo("routes changed (0 -> 1)");
        assertThat(change(ROUTES, TWO, "", ROUTES.replace("0x01", "0x02"), TWO, "")).isEqualTo("routes changed (1 -> 1)");
        assertThat(change("", TWO, "", "", TWO, CHECK)).isEqualTo("upstream a: health check added");
        assertThat(change("", TWO, CHECK, "", TWO, CHECK.replace("5", "7"))).isEqualTo("upstream a: health check settings changed");
    }
}
