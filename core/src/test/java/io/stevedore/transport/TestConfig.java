package io.stevedore.transport;

import io.stevedore.balancing.Upstream;
import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
import io.stevedore.config.Cidr;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.KeyBytes;
import io.stevedore.config.LogConfig;
import io.stevedore.config.Operator;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.RouteConfig;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.SessionConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.quic.QuicLbConfig;
import io.stevedore.testing.EchoBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds the validated config records a loader would produce, for tests on loopback. */
final class TestConfig {

    InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
    int listenParallel = 1;
    int batchSize = ServerConfig.BATCH_SIZE.defaultValue();
    int bufSize = ServerConfig.BUF_SIZE.defaultValue();
    int maxTryTimes = ServerConfig.MAX_TRY_TIMES.defaultValue();
    int timeoutSec = SessionConfig.TIMEOUT_SEC.defaultValue();
    int recycleIntervalSec = SessionConfig.RECYCLE_INTERVAL_SEC.defaultValue();
    int maxSessions = SessionConfig.MAX_SESSIONS.defaultValue();
    /**
     * The receive buffers the sockets had before they were settings (4 MiB asked for listeners, the
     * kernel's default for sessions), not the daemon's smaller defaults: the tests share a busy
     * machine where a loop may lose the CPU for a few hundred milliseconds, and a test that counts
     * every datagram is about the daemon, not about that queue. Tests of the queue set it.
     */
    int recvBufBytes = 4 << 20;
    int floodRecvBufBytes = ServerConfig.FLOOD_RECV_BUF_BYTES.defaultValue();
    boolean adaptiveBatch = true;
    int sessionRecvBufBytes = 212_992;
    List<InetAddress> sourceAddrs = List.of();
    List<Cidr> proxyProtocolFrom = List.of();
    String defaultUpstream = "deny";
    final List<RouteConfig> routes = new ArrayList<>();
    final List<UpstreamConfig> upstreams = new ArrayList<>();

    TestConfig listen(String host, int port) {
        listen = new InetSocketAddress(host, port);
        return this;
    }

    TestConfig parallel(int n) {
        listenParallel = n;
        return this;
    }

    TestConfig bufSize(int n) {
        bufSize = n;
        return this;
    }

    /** Every read offers all BatchSize slots: a burst held in the socket is read in one batch. */
    TestConfig wholeBatches() {
        adaptiveBatch = false;
        return this;
    }

    /** {@code Server.RecvBufBytes}: SO_RCVBUF of the listening sockets. */
    TestConfig recvBufBytes(int n) {
        recvBufBytes = n;
        return this;
    }

    /** {@code Server.FloodRecvBufBytes}: SO_RCVBUF of a listening socket while the kernel drops at it. */
    TestConfig floodRecvBufBytes(int n) {
        floodRecvBufBytes = n;
        return this;
    }

    /** {@code Session.RecvBufBytes}: SO_RCVBUF of new session sockets. */
    TestConfig sessionRecvBufBytes(int n) {
        sessionRecvBufBytes = n;
        return this;
    }

    TestConfig maxTryTimes(int n) {
        maxTryTimes = n;
        return this;
    }

    TestConfig timeouts(int timeoutSec, int recycleIntervalSec) {
        this.timeoutSec = timeoutSec;
        this.recycleIntervalSec = recycleIntervalSec;
        return this;
    }

    TestConfig maxSessions(int n) {
        maxSessions = n;
        return this;
    }

    /** {@code Session.SourceAddrs}: IP literals, bound in turn by new session sockets. */
    TestConfig sourceAddrs(String... ips) {
        List<InetAddress> addresses = new ArrayList<>();
        for (String ip : ips) {
            addresses.add(new InetSocketAddress(ip, 0).getAddress());
        }
        sourceAddrs = addresses;
        return this;
    }

    /** {@code Server.ProxyProtocolFrom}: blocks {@code ip/prefix} whose datagrams carry a PROXY header. */
    TestConfig proxyProtocolFrom(String... blocks) {
        List<Cidr> cidrs = new ArrayList<>();
        for (String block : blocks) {
            String[] parts = block.split("/");
            cidrs.add(new Cidr(new InetSocketAddress(parts[0], 0).getAddress(), Integer.parseInt(parts[1])));
        }
        proxyProtocolFrom = cidrs;
        return this;
    }

    TestConfig defaultUpstream(String name) {
        defaultUpstream = name;
        return this;
    }

    /** A route {@code KeyBytes start:end == value}, the value already as wide as the field. */
    TestConfig routeEquals(int start, int end, byte[] value, String upstream) {
        routes.add(new RouteConfig(new KeyBytes(start, end), Operator.EQ, value, upstream));
        return this;
    }

    TestConfig upstream(UpstreamConfig upstream) {
        upstreams.add(upstream);
        return this;
    }

    StevedoreConfig build() {
        return new StevedoreConfig(
                new ServerConfig(listen, listenParallel, batchSize, bufSize, maxTryTimes, proxyProtocolFrom,
                        recvBufBytes, floodRecvBufBytes, adaptiveBatch),
                new SessionConfig(timeoutSec, recycleIntervalSec, maxSessions, sourceAddrs, sessionRecvBufBytes),
                new UploadConfig(defaultUpstream, routes, upstreams),
                new LogConfig("", LogConfig.DEFAULT_LEVEL, false, LogConfig.MAX_AGE_HOUR.defaultValue(),
                        LogConfig.ROTATION_TIME_HOUR.defaultValue()),
                Optional.empty());
    }

    static UpstreamConfig rr(String name, PeerConfig... peers) {
        return new UpstreamConfig(name, BalanceType.RR, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(),
                List.of(peers), Optional.empty(), Affinity.PACKET, false);
    }

    static UpstreamConfig chash(String name, int keyStart, int keyEnd, PeerConfig... peers) {
        return new UpstreamConfig(name, BalanceType.CHASH, Optional.of(new KeyBytes(keyStart, keyEnd)),
                UpstreamConfig.TABLE_SIZE.defaultValue(), List.of(peers), Optional.empty(), Affinity.PACKET, false);
    }

    /** {@code Affinity: session}: each session keeps the peer it was first sent to. */
    static UpstreamConfig sessionAffinity(UpstreamConfig upstream) {
        return new UpstreamConfig(upstream.name(), upstream.type(), upstream.keyBytes(), upstream.tableSize(),
                upstream.peers(), upstream.healthChecker(), Affinity.SESSION, false);
    }

    static UpstreamConfig sessionLatched(UpstreamConfig upstream) {
        return new UpstreamConfig(upstream.name(), upstream.type(), upstream.keyBytes(), upstream.tableSize(),
                upstream.peers(), upstream.healthChecker(), Affinity.SESSION, true);
    }

    static UpstreamConfig checked(UpstreamConfig upstream, HealthCheckConfig check) {
        return new UpstreamConfig(upstream.name(), upstream.type(), upstream.keyBytes(), upstream.tableSize(),
                upstream.peers(), Optional.of(check), upstream.affinity(), upstream.latch(), upstream.proxyProtocol(),
                upstream.quicLb());
    }

    /** {@code "ProxyProtocol": "v2"}: a PROXY header before every datagram to the peers. */
    static UpstreamConfig proxied(UpstreamConfig upstream) {
        return new UpstreamConfig(upstream.name(), upstream.type(), upstream.keyBytes(), upstream.tableSize(),
                upstream.peers(), upstream.healthChecker(), upstream.affinity(), upstream.latch(), true);
    }

    /** A {@code quic} upstream: by connection ID under {@code configs}, each peer with its server ID. */
    static UpstreamConfig quic(String name, List<QuicLbConfig> configs, PeerConfig... peers) {
        return new UpstreamConfig(name, BalanceType.QUIC, Optional.empty(), UpstreamConfig.TABLE_SIZE.defaultValue(),
                List.of(peers), Optional.empty(), Affinity.PACKET, false, false, configs);
    }

    static PeerConfig peer(InetSocketAddress address, byte[] serverId) {
        return new PeerConfig(address, PeerConfig.WEIGHT.defaultValue(), false, false, serverId);
    }

    static PeerConfig peer(InetSocketAddress address) {
        return new PeerConfig(address, PeerConfig.WEIGHT.defaultValue(), false);
    }

    static PeerConfig backup(InetSocketAddress address) {
        return new PeerConfig(address, PeerConfig.WEIGHT.defaultValue(), true);
    }

    /** {@code "Drain": true}: the peer keeps the sessions that used it and takes no new one. */
    static PeerConfig draining(PeerConfig peer) {
        return new PeerConfig(peer.address(), peer.weight(), peer.backup(), true);
    }

    /** The index the running {@code upstream} gave the peer {@code backend}. */
    static int peerIndex(Upstream upstream, EchoBackend backend) {
        return upstream.peers().stream().filter(p -> p.address().equals(backend.address())).findFirst()
                .orElseThrow().index();
    }
}
