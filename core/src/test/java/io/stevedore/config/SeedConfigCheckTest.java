package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.testing.SeedFiles;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The seed README's two examples, as written there (comments included, wrapped in braces as a
 * whole file, the "..." completed with more peers). Parse only: their 10.0.0.x peers are never
 * contacted.
 */
class SeedConfigCheckTest {

    @Test
    void kcpExampleHashesTheConversationIdOverThreePeersOneOfThemBackup() throws Exception {
        LoadedConfig loaded = ConfigLoader.load(SeedFiles.path("kcp-conversation.json"));
        UploadConfig upload = loaded.config().upload();

        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.notes()).isEmpty();
        assertThat(upload.defaultUpstream()).isEqualTo("kcp");
        assertThat(upload.routes()).isEmpty();
        assertThat(upload.upstreams()).hasSize(1);
        UpstreamConfig kcp = upload.upstreams().get(0);
        assertThat(kcp.name()).isEqualTo("kcp");
        assertThat(kcp.type()).isEqualTo(BalanceType.CHASH);
        assertThat(kcp.keyBytes()).contains(new KeyBytes(0, 4));
        assertThat(kcp.tableSize()).isEqualTo(UpstreamConfig.TABLE_SIZE.defaultValue());
        assertThat(kcp.affinity()).isEqualTo(Affinity.PACKET);
        assertThat(kcp.latch()).isFalse();
        assertThat(kcp.peers()).containsExactly(
                peer("10.0.0.1", 2345, 1, true),
                peer("10.0.0.2", 2345, 1, false),
                peer("10.0.0.3", 2345, 1, false));
        HealthCheckConfig health = kcp.healthChecker().orElseThrow();
        assertThat(health.heartbeatIntervalSec()).isEqualTo(5);
        assertThat(health.heartbeatTimeoutSec()).isEqualTo(3);
        assertThat(health.successTimes()).isEqualTo(1);
        assertThat(health.failedTimes()).isEqualTo(1);
        assertThat(new String(health.send(), StandardCharsets.UTF_8)).isEqualTo("heartbeat");
        assertThat(health.expect()).isEmpty();
    }

    @Test
    void aFileWithOnlyUploadTakesEveryOtherSectionsDefaults() throws Exception {
        StevedoreConfig config = ConfigLoader.load(SeedFiles.path("kcp-conversation.json")).config();

        assertThat(config.server().listenAddr()).isEqualTo(new InetSocketAddress("0.0.0.0", 2614));
        assertThat(config.server().listenParallel()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(config.server().batchSize()).isEqualTo(32);
        assertThat(config.server().bufSize()).isEqualTo(4096);
        assertThat(config.server().maxTryTimes()).isEqualTo(3);
        assertThat(config.session()).isEqualTo(new SessionConfig(30, 10, 100_000));
        assertThat(config.log()).isEqualTo(new LogConfig("", "info", false, 168, 24));
        assertThat(config.admin()).isEmpty();
    }

    @Test
    void versionExampleReadsValue0x01AgainstKeyBytes4To6AsTheTwoBytes0x0001() throws Exception {
        LoadedConfig loaded = ConfigLoader.load(SeedFiles.path("protocol-version.json"));
        UploadConfig upload = loaded.config().upload();

        assertThat(upload.routes()).hasSize(2);
        RouteConfig v1 = upload.routes().get(0);
        assertThat(v1.keyBytes()).isEqualTo(new KeyBytes(4, 6));
        assertThat(v1.operator()).isEqualTo(Operator.EQ);
        assertThat(v1.value()).containsExactly(0x00, 0x01);
        assertThat(v1.upstream()).isEqualTo("ver1");
        RouteConfig v2 = upload.routes().get(1);
        assertThat(v2.value()).containsExactly(0x00, 0x02);
        assertThat(v2.upstream()).isEqualTo("ver2");

        assertThat(upload.defaultUpstream()).isEqualTo("deny");
        assertThat(loaded.notes()).containsExactly(
                "Upload.DefaultUpstream \"deny\" names no upstream: datagrams that match no route are dropped");
        assertThat(loaded.warnings()).isEmpty();
        assertThat(upload.upstreams()).extracting(UpstreamConfig::name).containsExactly("ver1", "ver2");
        assertThat(upload.upstreams()).allSatisfy(u -> {
            assertThat(u.type()).isEqualTo(BalanceType.RR);
            assertThat(u.keyBytes()).isEmpty();
            assertThat(u.healthChecker()).isPresent();
        });
        assertThat(upload.upstreams().get(0).peers()).hasSize(3).first().isEqualTo(peer("10.0.0.1", 2345, 1, true));
        assertThat(upload.upstreams().get(1).peers()).hasSize(2).first().isEqualTo(peer("10.0.1.1", 2345, 1, true));
    }

    @Test
    void bothExamplesLoadIdenticallyWithEveryKeyInLowerCase() throws Exception {
        for (String name : new String[] {"kcp-conversation.json", "protocol-version.json"}) {
            String original = Files.readString(SeedFiles.path(name));
            String lowered = lowerCaseKeys(original);
            assertThat(lowered).isNotEqualTo(original).contains("\"keybytes\"").doesNotContain("\"KeyBytes\"");

            LoadedConfig expected = ConfigLoader.parse(original);
            LoadedConfig actual = ConfigLoader.parse(lowered);

            assertThat(actual).usingRecursiveComparison().isEqualTo(expected);
        }
    }

    @Test
    void keysMatchWhateverTheirCase() throws Exception {
        String shouting = lowerCaseKeys(Files.readString(SeedFiles.path("kcp-conversation.json")))
                .replace("\"upload\"", "\"UPLOAD\"").replace("\"peers\"", "\"pEeRs\"");

        assertThat(ConfigLoader.parse(shouting)).usingRecursiveComparison()
                .isEqualTo(ConfigLoader.load(SeedFiles.path("kcp-conversation.json")));
    }

    /** Every object key of {@code json} in lower case; values (upstream names, addresses) untouched. */
    static String lowerCaseKeys(String json) {
        Matcher m = Pattern.compile("\"([A-Za-z]+)\"(\\s*:)").matcher(json);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement("\"" + m.group(1).toLowerCase(Locale.ROOT) + "\"" + m.group(2)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static PeerConfig peer(String ip, int port, int weight, boolean backup) {
        return new PeerConfig(new InetSocketAddress(ip, port), weight, backup);
    }

    @Test
    void seedFilesAreTheReadmeExamplesWithTheirComments() throws Exception {
        assertThat(Files.readString(SeedFiles.path("kcp-conversation.json")))
                .contains("\"KeyBytes\": \"0:4\",            // 使用 data[0:4] 来作为 hash key");
        assertThat(Files.readString(SeedFiles.path("protocol-version.json")))
                .contains("\"DefaultUpstream\": \"deny\",        // 默认丢弃数据包，无此 Upstream");
        assertThat(Files.readString(SeedFiles.path("protocol-version.json"))).doesNotContain("...");
    }
}
