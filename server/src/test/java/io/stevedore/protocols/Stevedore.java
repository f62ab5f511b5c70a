package io.stevedore.protocols;

import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.control.ControlPlane;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;

/** Stevedore's data plane as the protocol tests run it, with the counters they read. */
final class Stevedore implements AutoCloseable {

    private final Daemon daemon;

    private Stevedore(Daemon daemon) {
        this.daemon = daemon;
    }

    static Stevedore start(StevedoreConfig config) throws InterruptedException {
        return new Stevedore(ControlPlane.startDataPlane(config));
    }

    /** Where clients send. */
    InetSocketAddress address() {
        return daemon.listenAddress();
    }

    Counters counters() {
        return daemon.counters();
    }

    /** The running config of the upstream named {@code name}. */
    UpstreamConfig upstream(String name) {
        for (UpstreamConfig upstream : daemon.config().upload().upstreams()) {
            if (upstream.name().equals(name)) {
                return upstream;
            }
        }
        throw new IllegalArgumentException("no upstream " + name);
    }

    /** Client datagrams forwarded to peer {@code peer} (by position) of {@code upstream}. */
    long forwardedTo(String upstream, int peer) {
        return daemon.counters().peer(upstream, peer, PeerCounter.FORWARDED_DATAGRAMS);
    }

    long dropped(String reason) {
        return daemon.counters().dropped(reason);
    }

    @Override
    public void close() {
        daemon.close();
    }
}
