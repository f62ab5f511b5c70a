package io.stevedore.config;

import static io.stevedore.config.ConfigValidationTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A peer that is Stevedore's own listening address would send every datagram round for ever: an error. */
class OwnListenAddrPeerTest {

    private static String file(String listenAddr, String peerIp, int peerPort) {
        return json("{'Server': {'ListenAddr': '" + listenAddr + "'}, 'Upload': {'DefaultUpstream': 'a', 'Upstreams': "
                + "[{'Name': 'a', 'Type': 'rr', 'Peers': [{'IP': '127.0.0.2', 'Port': 4001}, {'IP': '" + peerIp
                + "', 'Port': " + peerPort + "}]}]}}");
    }

    @ParameterizedTest(name = "ListenAddr {0}, peer {1}:{2}")
    @CsvSource({
        "127.0.0.1:2614, 127.0.0.1, 2614",
        "0.0.0.0:2614, 127.0.0.1, 2614",
        "0.0.0.0:2614, 127.0.0.7, 2614",
        "[::]:2614, ::1, 2614",
    })
    void aPeerOnAListeningAddressIsAnError(String listenAddr, String peerIp, int peerPort) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(file(listenAddr, peerIp, peerPort)));
        assertThat(e).as("an error").isNotNull();
        assertThat(e.errors()).singleElement().asString()
                .startsWith("Upload.Upstreams[0].Peers[1]: ")
                .contains("is Stevedore's own Server.ListenAddr")
                .contains("expected a backend's address");
    }

    @ParameterizedTest(name = "ListenAddr {0}, peer {1}:{2}")
    @CsvSource({
        "127.0.0.1:2614, 127.0.0.2, 2614",
        "127.0.0.1:2614, 127.0.0.1, 2615",
        "0.0.0.0:2614, 127.0.0.1, 2615",
    })
    void anotherAddressOrPortIsAPeerLikeAnyOther(String listenAddr, String peerIp, int peerPort) throws Exception {
        assertThat(ConfigLoader.parse(file(listenAddr, peerIp, peerPort)).config().upload().upstreams().get(0).peers())
                .hasSize(2);
    }

    @Test
    void theDefaultListenAddrCountsToo() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(json(
                "{'Upload': {'DefaultUpstream': 'a', 'Upstreams': [{'Name': 'a', 'Type': 'rr', "
                        + "'Peers': [{'IP': '127.0.0.1', 'Port': 2614}]}]}}")));
        assertThat(e.errors()).singleElement().asString()
                .isEqualTo("Upload.Upstreams[0].Peers[0]: 127.0.0.1:2614 is Stevedore's own Server.ListenAddr "
                        + "0.0.0.0:2614; expected a backend's address: every datagram sent there would come back "
                        + "as a client's, without end");
    }
}
