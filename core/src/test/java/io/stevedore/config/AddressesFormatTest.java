package io.stevedore.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One way to write an address, as a configuration file does: what a log line says can be found in the file. */
class AddressesFormatTest {

    @ParameterizedTest(name = "{0} port {1}: {2}")
    @CsvSource({
            "127.0.0.2, 2614, 127.0.0.2:2614",
            "0.0.0.0, 0, 0.0.0.0:0",
            "::1, 53, [::1]:53",
            "::, 2614, [::]:2614",
            "2001:db8:0:0:1:0:0:1, 4001, [2001:db8::1:0:0:1]:4001",
            "2001:0DB8:0000:0000:0000:0000:0000:0001, 65535, [2001:db8::1]:65535",
            "fe80:0:0:0:0:0:0:1, 9, [fe80::1]:9",
            "::ffff:127.0.0.3, 7, 127.0.0.3:7",
    })
    void anAddressIsWrittenAsAFileWritesIt(String ip, int port, String expected) {
        InetAddress address = Addresses.ip(ip);
        assertThat(Addresses.format(address, port)).isEqualTo(expected);
        assertThat(Addresses.format(new InetSocketAddress(address, port))).isEqualTo(expected);
    }
}
