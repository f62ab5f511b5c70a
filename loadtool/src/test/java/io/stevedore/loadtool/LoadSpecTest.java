package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadSpecTest {

    private static LoadSpec.Builder valid() {
        return LoadSpec.builder().targets(List.of(Loopback.socketAddress("127.0.0.2:7001")));
    }

    @Test
    void defaultsDescribeAOneAtATimeRoundTrip() {
        LoadSpec spec = valid().build();

        assertThat(spec.shape()).isEqualTo(Shape.CLOSED);
        assertThat(spec.window()).isEqualTo(1);
        assertThat(spec.conversations()).isEqualTo(1);
        assertThat(spec.describe()).isEqualTo("closed loop, window 1 per socket, 1 socket x 1 conv, 64 B");
    }

    @Test
    void everyBadValueIsNamedAtOnce() {
        assertThatThrownBy(() -> valid().sockets(0).size(8).window(300).maxDatagrams(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--sockets 0")
                .hasMessageContaining("--size 8")
                .hasMessageContaining("--window 300")
                .hasMessageContaining("--max-datagrams 0");
    }

    @Test
    void aRateRunNeedsAPositiveRate() {
        assertThatThrownBy(() -> valid().shape(Shape.RATE).rate(0).build())
                .hasMessageContaining("--rate 0.0");
    }

    @Test
    void theRunIsBoundedInTime() {
        assertThatThrownBy(() -> valid().duration(Duration.ofHours(2)).build()).hasMessageContaining("--duration");
        assertThatThrownBy(() -> valid().duration(Duration.ZERO).build()).hasMessageContaining("--duration");
    }

    @Test
    void atLeastOneTarget() {
        assertThatThrownBy(() -> valid().targets(List.of()).build()).hasMessageContaining("at least one");
    }

    @Test
    void familiesAreNotMixed() {
        assertThatThrownBy(() -> valid().sourceIps(Loopback.addresses("::1")).build())
                .hasMessageContaining("mix IPv4 and IPv6");
    }
}
