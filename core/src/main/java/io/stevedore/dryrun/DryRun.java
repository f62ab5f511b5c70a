package io.stevedore.dryrun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.stevedore.balancing.Selector;
import io.stevedore.balancing.Upstream;

import io.stevedore.config.BalanceType;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.DropReason;
import io.stevedore.config.Addresses;
import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.routing.RouteTable;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * What the daemon would do with one datagram from a new client, with every peer up (a draining peer
 * takes no new client, so it is never the answer): the checks a
 * client datagram passes (its source, its size), each route tried, the upstream, the key bytes and
 * the peer, or the drop reason. Built from the same {@link RouteTable} and {@link Selector} the
 * event loops use, so it decides as they do; it opens no socket.
 *
 * <p>Round robin has state: the peer named for an {@code rr} upstream is the one a freshly started
 * daemon picks first, and a running one picks in turn.
 */
public final class DryRun {

    private final StevedoreConfig config;
    private final RouteTable routes;
    private final List<UpstreamConfig> upstreams;

    public DryRun(StevedoreConfig config) {
        this.config = config;
        this.routes = RouteTable.compile(config.upload());
        this.upstreams = config.upload().upstreams();
    }

    /**
     * The decision for {@code datagram} sent by {@code from} (null: an ordinary client). From a
     * source of {@code Server.ProxyProtocolFrom}, the datagram starts with a PROXY header, which is
     * read and stripped as the daemon does; the client it names is the client.
     */
    public Decision decide(byte[] datagram, InetSocketAddress from) {
        Decision.Builder decision = new Decision.Builder(datagram.length, from);
        if (from != null && fromItself(from)) {
            return decision.drop(DropReason.LOOP, "the source " + Addresses.format(from)
                    + " is one of Stevedore's own addresses or a configured peer: its reply would come back without end");
        }
        if (datagram.length == 0) {
            return decision.drop(DropReason.EMPTY, "a datagram with no payload cannot be forwarded");
        }
        if (datagram.length > config.server().bufSize()) {
            return decision.drop(DropReason.OVERSIZE, datagram.length + " bytes exceed Server.BufSize "
                    + config.server().bufSize() + "; never forwarded truncated");
        }
        InetSocketAddress sender = from;
        if (sender != null && config.server().proxyProtocolFrom().stream().anyMatch(b -> b.contains(sender.getAddress()))) {
            ProxyHeader.Parsed header = new ProxyHeader.Parsed();
            boolean valid = ProxyHeader.parse(Unpooled.wrappedBuffer(datagram), header);
            if (!valid || header.length() == datagram.length) {
                return decision.drop(DropReason.PROXY_HEADER, "the source " + Addresses.format(from)
                        + " is in Server.ProxyProtocolFrom, but " + (valid ? "nothing follows the datagram's PROXY header"
                                : "the datagram does not start with a valid PROXY header: " + header.problem().description()));
            }
            datagram = Arrays.copyOfRange(datagram, header.length(), datagram.length);
            if (!header.local()) {
                from = header.client();
            }
        }
        ByteBuf data = Unpooled.wrappedBuffer(datagram);
        List<RouteTable.Trial> trials = routes.trace(data);
        decision.trials(trials);
        boolean matched = !trials.isEmpty() && trials.get(trials.size() - 1).matched();
        String upstreamName = matched ? trials.get(trials.size() - 1).route().upstream() : config.upload().defaultUpstream();
        decision.route(matched ? Integer.toString(trials.get(trials.size() - 1).index()) : "default");
        int upstream = routes.route(data);
        if (upstream == RouteTable.NO_ROUTE) {
            return decision.drop(DropReason.NO_ROUTE, matched
                    ? "the matching route names upstream \"" + upstreamName + "\", which does not exist"
                    : upstreamName == null || upstreamName.isEmpty()
                            ? "no route matched and Upload.DefaultUpstream is not set"
                            : "no route matched and Upload.DefaultUpstream \"" + upstreamName + "\" names no upstream");
        }
        UpstreamConfig chosen = upstreams.get(upstream);
        decision.upstream(chosen.name());
        if (chosen.type() == BalanceType.QUIC) {
            return quic(decision, chosen, data, from);
        }
        if (chosen.type() == BalanceType.CHASH) {
            var key = chosen.keyBytes().orElseThrow();
            if (datagram.length >= key.end()) {
                byte[] keyBytes = new byte[key.length()];
                System.arraycopy(datagram, key.start(), keyBytes, 0, keyBytes.length);
                decision.key(keyBytes, "chash: Maglev table of " + chosen.tableSize() + " entries over KeyBytes " + key);
            } else {
                decision.key(null, "chash over KeyBytes " + key);
            }
        } else {
            decision.key(null, "rr: smooth weighted round robin; this is the first pick of a freshly started daemon");
        }
        Selector selector = Upstream.of(chosen).newSelector();
        int peer = selector.select(data);
        if (peer == Selector.SHORT_KEY) {
            return decision.drop(DropReason.SHORT_KEY, datagram.length + " bytes end before KeyBytes "
                    + chosen.keyBytes().orElseThrow() + " of upstream \"" + chosen.name() + "\"");
        }
        if (peer >= 0 && selector.draining(peer)) {
            // A new client has used no peer, so a draining one is not for it.
            peer = selector.fresh(data);
            if (peer < 0) {
                return decision.drop(DropReason.NO_PEER, "upstream \"" + chosen.name()
                        + "\" has no peer in rotation for a new session: the others drain");
            }
        }
        if (peer < 0) {
            return decision.drop(DropReason.NO_PEER, "upstream \"" + chosen.name() + "\" has no peer in rotation");
        }
        PeerConfig picked = chosen.peers().get(peer);
        return decision.peer(Addresses.format(picked.address()), picked.backup());
    }

    /** As {@code PeerChoice.forNewClient} decides for a client's first datagram, every peer up. */
    private static Decision quic(Decision.Builder decision, UpstreamConfig chosen, ByteBuf data, InetSocketAddress from) {
        Selector selector = Upstream.of(chosen).newSelector();
        int peer = selector.byServerId(data);
        if (peer >= 0) {
            decision.key(null, "quic: the destination connection ID carries the server ID "
                    + HexFormat.of().withPrefix("0x").formatHex(chosen.peers().get(peer).serverId()));
        } else {
            String unroutable = "quic: the destination connection ID does not route (no connection ID, a config ID "
                    + "with no QuicLB entry or 0b111, too short, or a server ID no peer has): Maglev over the client's "
                    + "address and port";
            decision.key(null, unroutable);
            if (from == null) {
                return decision.undecided("the peer depends on the client's address and port; give --from IP:PORT");
            }
            peer = selector.byClient(from);
        }
        PeerConfig picked = chosen.peers().get(peer);
        return decision.peer(Addresses.format(picked.address()), picked.backup());
    }

    private boolean fromItself(InetSocketAddress from) {
        InetSocketAddress listen = config.server().listenAddr();
        if (from.equals(listen) || listen.getAddress().isAnyLocalAddress() && from.getPort() == listen.getPort()
                && from.getAddress().isLoopbackAddress()) {
            return true;
        }
        for (UpstreamConfig upstream : upstreams) {
            for (PeerConfig peer : upstream.peers()) {
                if (peer.address().equals(from)) {
                    return true;
                }
            }
        }
        return false;
    }
}
