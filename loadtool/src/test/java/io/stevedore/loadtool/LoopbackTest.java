package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stevedore.config.Addresses;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class LoopbackTest {

    @Test
    void parsesIpv4AndBracketedIpv6() {
        assertThat(Addresses.format(Loopback.socketAddress("127.0.0.2:7001"))).isEqualTo("127.0.0.2:7001");
        assertThat(Addresses.format(Loopback.socketAddress("[::1]:53"))).isEqualTo("[::1]:53");
    }

    @Test
    void aRangeListsEveryAddressInOrder() {
        assertThat(Loopback.addresses("127.0.0.10-127.0.0.12").stream().map(InetAddress::getHostAddress))
                .containsExactly("127.0.0.10", "127.0.0.11", "127.0.0.12");
        assertThat(Loopback.addresses("127.0.0.255-127.0.1.0").stream().map(InetAddress::getHostAddress))
                .containsExactly("127.0.0.255", "127.0.1.0");
        assertThat(Loopback.addresses("127.0.0.5, 127.0.0.7")).hasSize(2);
    }

    @Test
    void refusesMalformedText() {
        for (String text : new String[] {"127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "::1:53", "127.0.0.1:x"}) {
            assertThatThrownBy(() -> Loopback.socketAddress(text)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Loopback.addresses("127.0.0.20-127.0.0.10"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ascending range");
    }
}
