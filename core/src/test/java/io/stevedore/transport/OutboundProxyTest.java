package io.stevedore.transport;

import static io.stevedore.transport.TestConfig.peer;
import static io.stevedore.transport.TestConfig.rr;
import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.StevedoreConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.session.Session;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The PROXY v2 header a session's datagrams carry to an upstream with ProxyProtocol: built once,
 * naming the client and the address it wrote to.
 */
class OutboundProxyTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.9", 41000);
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 5000);
    private static final InetSocketAddress OTHER_LISTENER = new InetSocketAddress("127.0.0.3", 5000);
    private static final InetSocketAddress WILDCARD = new InetSocketAddress("0.0.0.0", 5000);

    private static Session session() throws Exception {
        StevedoreConfig config = new TestConfig().defaultUpstream("pool")
                .upstream(rr("pool", peer(new InetSocketAddress("127.0.0.2", 9)))).build();
        Counters counters = new Counters(config.upload().upstreams(), 1);
        return Plans.session(Plans.plan(config, counters, null, 0), counters, CLIENT);
    }

    private static OutboundProxy over(InetSocketAddress... listeners) {
        return new OutboundProxy(List.of(listeners)::get);
    }

    @Test
    void theHeaderNamesTheClientAndTheListenerItWroteToAndIsBuiltOnce() throws Exception {
        Session session = session();
        OutboundProxy outbound = over(LISTENER, OTHER_LISTENER);
        outbound.received(LISTENER);

        byte[] header = outbound.headerOf(session);

        assertThat(header).isEqualTo(ProxyHeader.proxy(CLIENT, LISTENER));
        assertThat(session.proxyHeader()).isSameAs(header);
        outbound.received(new InetSocketAddress("127.0.0.4", 5000));
        assertThat(outbound.headerOf(session)).as("kept by the session").isSameAs(header);
    }

    @Test
    void theListenerIsTheOneTheSessionRepliesVia() throws Exception {
        Session session = session();
        session.replyVia(1);
        OutboundProxy outbound = over(LISTENER, OTHER_LISTENER);
        outbound.received(OTHER_LISTENER);

        assertThat(outbound.headerOf(session)).isEqualTo(ProxyHeader.proxy(CLIENT, OTHER_LISTENER));
    }

    @Test
    void forTheWildcardSocketTheDestinationIsTheAddressTheDatagramWasSentTo() throws Exception {
        OutboundProxy outbound = over(WILDCARD);
        outbound.received(new InetSocketAddress("127.0.0.7", 5000));

        assertThat(outbound.headerOf(session()))
                .isEqualTo(ProxyHeader.proxy(CLIENT, new InetSocketAddress("127.0.0.7", 5000)));
    }

    @Test
    void forTheWildcardSocketWithoutARecipientTheDestinationIsTheWildcard() throws Exception {
        OutboundProxy outbound = over(WILDCARD);
        outbound.received(null);

        assertThat(outbound.headerOf(session())).isEqualTo(ProxyHeader.proxy(CLIENT, WILDCARD));
    }
}
