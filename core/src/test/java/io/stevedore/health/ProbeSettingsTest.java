package io.stevedore.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.HealthCheckConfig;
import io.stevedore.proxyprotocol.ProxyHeader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProbeSettingsTest {

    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);
    private static final HealthCheckConfig CHECK = new HealthCheckConfig(5, 3, 1, 1, PING, Optional.of(PING));

    @Test
    void probesToPeersThatExpectAProxyHeaderCarryALocalOneBeforeThePayload() {
        byte[] probe = ProbeSettings.of(CHECK, Duration.ofSeconds(1), true).send();

        byte[] local = ProxyHeader.local();
        assertThat(Arrays.copyOf(probe, local.length)).isEqualTo(local);
        assertThat(Arrays.copyOfRange(probe, local.length, probe.length)).isEqualTo(PING);
        assertThat(ProbeSettings.of(CHECK, Duration.ofSeconds(1), true).expect()).hasValue(PING);
    }

    @Test
    void otherProbesAreThePayloadAlone() {
        assertThat(ProbeSettings.of(CHECK).send()).isEqualTo(PING);
    }
}
