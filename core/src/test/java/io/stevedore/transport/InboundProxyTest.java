package io.stevedore.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.proxyprotocol.ProxyHeader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The PROXY v2 header of a trusted source's datagram, read in place. */
class InboundProxyTest {

    private static final InetSocketAddress FRONT = new InetSocketAddress("127.0.0.5", 7000);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.9", 41000);
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 5000);
    private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.US_ASCII);

    private final InboundProxy inbound = new InboundProxy();

    private static ByteBuf datagram(byte[] header, byte[] payload) {
        return Unpooled.buffer().writeBytes(header).writeBytes(payload);
    }

    private static byte[] rest(ByteBuf data) {
        byte[] bytes = new byte[data.readableBytes()];
        data.readBytes(bytes);
        return bytes;
    }

    @Test
    void theClientTheHeaderNamesAndThePayloadBehindIt() {
        ByteBuf data = datagram(ProxyHeader.proxy(CLIENT, LISTENER), PAYLOAD);

        assertThat(inbound.clientOf(data, FRONT)).isEqualTo(CLIENT);
        assertThat(inbound.carried()).isTrue();
        assertThat(rest(data)).as("routes read the client's payload").isEqualTo(PAYLOAD);
    }

    @Test
    void theSameClientAgainIsTheSameAddressNotANewOne() {
        InetSocketAddress first = inbound.clientOf(datagram(ProxyHeader.proxy(CLIENT, LISTENER), PAYLOAD), FRONT);
        InetSocketAddress second = inbound.clientOf(datagram(ProxyHeader.proxy(CLIENT, LISTENER), PAYLOAD), FRONT);
        InetSocketAddress other = new InetSocketAddress("127.0.0.9", 41001);

        assertThat(second).isSameAs(first);
        assertThat(inbound.clientOf(datagram(ProxyHeader.proxy(other, LISTENER), PAYLOAD), FRONT)).isEqualTo(other);
    }

    @Test
    void aLocalHeaderMakesTheFrontTierTheClient() {
        ByteBuf data = datagram(ProxyHeader.local(), PAYLOAD);

        assertThat(inbound.clientOf(data, FRONT)).isSameAs(FRONT);
        assertThat(inbound.carried()).isFalse();
        assertThat(rest(data)).isEqualTo(PAYLOAD);
    }

    @Test
    void noHeaderOrAHeaderWithoutPayloadIsRefused() {
        inbound.clientOf(datagram(ProxyHeader.proxy(CLIENT, LISTENER), PAYLOAD), FRONT);

        assertThat(inbound.clientOf(datagram(new byte[0], PAYLOAD), FRONT)).isNull();
        assertThat(inbound.carried()).isFalse();
        assertThat(inbound.clientOf(datagram(ProxyHeader.proxy(CLIENT, LISTENER), new byte[0]), FRONT)).isNull();
    }
}
