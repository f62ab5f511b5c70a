package io.stevedore.protocols;

import io.stevedore.config.Affinity;
import io.stevedore.config.BalanceType;
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
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Stevedore's data plane as the protocol tests run it: built from the typed config records a
 * loader produces, listening on 127.0.0.1 with two SO_REUSEPORT sockets as on a 2-core machine.
 */
final class Stevedore implements AutoCloseable {

    private final Daemon daemon;

    private Stevedore(Daemon daemon) {
        this.daemon = daemon;
    }

    static Stevedore start(String defaultUpstream, List<RouteConfig> routes, UpstreamConfig... upstreams)
            throws InterruptedException {
        StevedoreConfig config = new StevedoreConfig(
                new ServerConfig(new InetSocketAddress(Loopback.CLIENT, 0), 2, ServerConfig.DEFAULT_BATCH_SIZE,
                        ServerConfig.DEFAULT_BUF_SIZE, ServerConfig.DEFAULT_MAX_TRY_TIMES),
                new SessionConfig(SessionConfig.DEFAULT_TIMEOUT_SEC, SessionConfig.DEFAULT_RECYCLE_INTERVAL_SEC,
                        SessionConfig.DEFAULT_MAX_SESSIONS),
                new UploadConfig(defaultUpstream, routes, Arrays.asList(upstreams)),
                new LogConfig("", LogConfig.DEFAULT_LEVEL, false, LogConfig.DEFAULT_MAX_AGE_HOUR,
                        LogConfig.DEFAULT_ROTATION_TIME_HOUR),
                Optional.empty());
        return new Stevedore(Daemon.start(config));
    }

    /** Where clients send. */
    InetSocketAddress address() {
        return daemon.listenAddress();
    }

    Counters counters() {
        return daemon.counters();
    }

    /** Client datagrams forwarded to peer {@code peer} (by position) of {@code upstream}. */
    long forwardedTo(String upstream, int peer) {
        return daemon.counters().peer(upstream, peer, PeerCounter.FORWARDED_DATAGRAMS);
    }

    long dropped(String reason) {
        return daemon.counters().dropped(reason);
    }

    static PeerConfig peer(InetSocketAddress address) {
        return new PeerConfig(address, PeerConfig.DEFAULT_WEIGHT, false);
    }

    static UpstreamConfig roundRobin(String name, Affinity affinity, boolean latch, PeerConfig... peers) {
        return new UpstreamConfig(name, BalanceType.RR, Optional.empty(), UpstreamConfig.DEFAULT_TABLE_SIZE,
                List.of(peers), Optional.empty(), affinity, latch);
    }

    static UpstreamConfig consistentHash(String name, KeyBytes key, PeerConfig... peers) {
        return new UpstreamConfig(name, BalanceType.CHASH, Optional.of(key), UpstreamConfig.DEFAULT_TABLE_SIZE,
                List.of(peers), Optional.empty(), Affinity.PACKET, false);
    }

    static RouteConfig route(KeyBytes key, Operator operator, byte[] value, String upstream) {
        return new RouteConfig(key, operator, value, upstream);
    }

    @Override
    public void close() {
        daemon.close();
    }
}
