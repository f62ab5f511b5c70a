package io.stevedore.config;

import static io.stevedore.config.ConfigValidationTest.json;
import static io.stevedore.config.ConfigValidationTest.withUpstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A key the schema does not know is an error, so a typo cannot pass {@code -t}; every key of the
 * Go original's schema stays known; and however many problems a file has, what is reported stays a
 * screenful.
 */
class StrictKeysTest {

    private static final String UPSTREAM = "{'Name': 'a', 'Type': 'rr', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}";

    @Test
    void anUnknownKeyIsAnErrorNamingItsPathAndTheNearestKnownKey() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(json("""
                {'Servr': {}, 'Upload': {'DefaultUpstrem': 'a', 'Upstreams': [
                  {'Name': 'a', 'Type': 'rr', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001, 'Wieght': 2}]}]}}
                """)));

        assertThat(e.errors()).containsExactly(
                "Servr: unknown key, did you mean \"Server\"?",
                "Upload.DefaultUpstrem: unknown key, did you mean \"DefaultUpstream\"?",
                "Upload.Upstreams[0].Peers[0].Wieght: unknown key, did you mean \"Weight\"?");
        assertThat(e.warnings()).as("what the typo would have done").containsExactly(
                "Upload: no Routes and DefaultUpstream names no upstream: every datagram is dropped");
        assertThat(e.omitted()).isZero();
    }

    @Test
    void anUnknownKeyInAnOtherwiseValidFileStillFailsIt() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(withUpstream("{'Name': 'a', 'Type': 'rr', 'Comment': 'primary pool',"
                        + " 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}")));

        assertThat(e.errors()).containsExactly("Upload.Upstreams[0].Comment: unknown key, did you mean \"Name\"?");
    }

    /** The Go original's whole schema (sd_config), every key set, as an existing file may hold it. */
    @Test
    void everyKeyOfTheGoOriginalsSchemaIsKnown() throws Exception {
        LoadedConfig loaded = ConfigLoader.parse(json("""
                {
                  'PProf': {'Open': true, 'ServerAddr': '127.0.0.1:6060'},
                  'Log': {'Path': '', 'Level': 'info', 'Verbose': false, 'MaxAgeHour': 48, 'RotationTimeHour': 24},
                  'Server': {'ListenAddr': '127.0.0.1:2614', 'ListenParallel': 2, 'EventSize': 512, 'EventChanSize': 512,
                             'BatchSize': 16, 'BufSize': 2048, 'TaskPoolSize': 8, 'TaskPoolTimeoutSec': 5,
                             'MaxTryTimes': 2},
                  'Session': {'RecycleIntervalSec': 5, 'TimeoutSec': 20},
                  'Upload': {
                    'DefaultUpstream': 'u',
                    'Routes': [{'KeyBytes': '0:1', 'Operator': '==', 'Value': '0x01', 'Upstream': 'u'}],
                    'Upstreams': [{'Name': 'u', 'Type': 'chash', 'KeyBytes': '1:3',
                                   'HealthChecker': {'HeartbeatIntervalSec': 5, 'HeartbeatTimeoutSec': 3,
                                                     'SuccessTimes': 1, 'FailedTimes': 1},
                                   'Peers': [{'IP': '127.0.0.2', 'Port': 2345, 'Weight': 1, 'Backup': false}]}]
                  }
                }
                """));

        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.omitted()).isZero();
        assertThat(loaded.config().admin()).isPresent();
    }

    @Test
    void twoHundredThousandUnknownKeysReportFiftyThenCountTheRestQuickly() {
        StringBuilder file = new StringBuilder("{\"Upload\": {\"DefaultUpstream\": \"a\", \"Upstreams\": [")
                .append(json(UPSTREAM)).append("]}");
        for (int i = 0; i < 200_000; i++) {
            file.append(", \"Typo").append(i).append("\": ").append(i);
        }
        file.append('}');

        long start = System.nanoTime();
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(file.toString()));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(e.errors()).hasSize(Problems.MAX_REPORTED);
        for (int i = 0; i < Problems.MAX_REPORTED; i++) {
            assertThat(e.errors().get(i)).matches("Typo" + i + ": unknown key, did you mean \"[A-Za-z]+\"\\?");
        }
        assertThat(e.omitted()).isEqualTo(199_950);
        assertThat(e.getMessage()).hasLineCount(51).endsWith("\n\u2026 and 199950 more");
        // A bound against work per key growing with the keys (about 2 s here when the machine is calm),
        // loose enough for a two-core machine shared with other builds: it took 15 s under a load of 14.
        assertThat(took).as("time to load and bind").isLessThan(Duration.ofSeconds(40));
    }

    @Test
    void warningsAndErrorsShareTheCapInDocumentOrder() {
        StringBuilder upstreams = new StringBuilder();
        for (int i = 0; i < 45; i++) {
            upstreams.append(i == 0 ? "" : ", ").append("{'Name': 'u").append(i)
                    .append("', 'Type': 'rr', 'TableSize': 997, 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}");
        }
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(json(
                "{'Upload': {'DefaultUpstream': 'u0', 'Upstreams': [" + upstreams + "]},"
                        + " 'Log': {'Lvl': 1, 'Pth': 2, 'Verbos': 3, 'MaxAge': 4, 'Rotation': 5, 'Size': 6,"
                        + " 'Files': 7}}")));

        assertThat(e.warnings()).hasSize(45).allSatisfy(w -> assertThat(w).endsWith("ignored; only Types \"chash\" and \"quic\" use it"));
        assertThat(e.errors()).containsExactly(
                "Log.Lvl: unknown key, did you mean \"Level\"?",
                "Log.Pth: unknown key, did you mean \"Path\"?",
                "Log.Verbos: unknown key, did you mean \"Verbose\"?",
                "Log.MaxAge: unknown key, did you mean \"MaxAgeHour\"?",
                "Log.Rotation: unknown key, did you mean \"RotationTimeHour\"?");
        assertThat(e.omitted()).as("the two unknown keys beyond the cap").isEqualTo(2);
    }

    @Test
    void aValidFileWithMoreThanFiftyWarningsKeepsFiftyAndCountsTheRest() throws Exception {
        StringBuilder upstreams = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            upstreams.append(i == 0 ? "" : ", ").append("{'Name': 'u").append(i)
                    .append("', 'Type': 'rr', 'KeyBytes': '0:1', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}]}");
        }

        LoadedConfig loaded = ConfigLoader.parse(json("{'Upload': {'DefaultUpstream': 'u0', 'Upstreams': ["
                + upstreams + "]}}"));

        assertThat(loaded.warnings()).hasSize(Problems.MAX_REPORTED);
        assertThat(loaded.omitted()).isEqualTo(10);
        assertThat(loaded.config().upload().upstreams()).hasSize(60);
    }
}
