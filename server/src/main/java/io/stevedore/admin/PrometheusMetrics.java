package io.stevedore.admin;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.metrics.PeerKey;
import io.stevedore.transport.Daemon;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The Prometheus metrics of {@code /metrics}, every one read by a callback when scraped: the data
 * plane only ever writes its own per-loop counters, and a scrape sums them. Peers are those of the
 * running configuration; a peer removed by a reload disappears, and one added back resumes its
 * counts. docs/operations.md lists every metric with its labels.
 */
final class PrometheusMetrics {

    private static final String UPLOAD = "upload";
    private static final String DOWNLOAD = "download";

    private PrometheusMetrics() {
    }

    /** A registry of every metric, for one endpoint. */
    static PrometheusRegistry registry(Observed observed) {
        PrometheusRegistry registry = new PrometheusRegistry();
        Daemon daemon = observed.daemon();
        Counters counters = daemon.counters();

        counter(registry, "stevedore_client_datagrams",
                "Datagrams received from clients, dropped ones included, per listening socket", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.RECEIVED_DATAGRAMS), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_client_bytes",
                "Payload bytes received from clients, dropped datagrams included, per listening socket; a datagram "
                        + "over Server.BufSize counts as BufSize + 1 bytes, what is read of it", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.RECEIVED_BYTES), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_listener_errors",
                "Errors on a listening socket, mostly replies that could not be sent to their client", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.LISTENER_ERRORS), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_segmented_sends",
                "Sends that carried several datagrams to one address as one buffer the kernel cuts into "
                        + "datagrams (UDP GSO), per listening socket's event loop", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.SEGMENTED_SENDS), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_segmented_datagrams",
                "Datagrams, to peers and to clients, that left in segmented sends", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.SEGMENTED_DATAGRAMS), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_segmented_refused",
                "Segmented sends the kernel refused as a whole (e.g. a segment above the path MTU); "
                        + "their datagrams were sent again one by one", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.SEGMENTED_REFUSED), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_passive_ambiguous",
                "ICMP unreachable reports on session sockets that had sent to more than one peer within the last "
                        + "second: no peer is marked down for them, per listening socket", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        cb.call(counters.loop(i, LoopCounter.PASSIVE_AMBIGUOUS), listener(i));
                    }
                }, "listener");
        counter(registry, "stevedore_dropped_datagrams", "Datagrams not delivered, by reason", cb -> {
            for (DropReason reason : DropReason.values()) {
                cb.call(counters.dropped(reason), reason.label());
            }
        }, "reason");

        counter(registry, "stevedore_sessions_opened", "Client sessions opened, per listening socket", cb -> {
            for (int i = 0; i < counters.loopCount(); i++) {
                cb.call(counters.loop(i, LoopCounter.SESSIONS_OPENED), listener(i));
            }
        }, "listener");
        counter(registry, "stevedore_sessions_closed",
                "Client sessions closed, by reason: idle, evicted (for a new client at MaxSessions), reload, "
                        + "shutdown, error (the socket closed under it)", cb -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        for (CloseReason reason : CloseReason.values()) {
                            cb.call(counters.loop(i, reason), listener(i), reason.label());
                        }
                    }
                }, "listener", "reason");
        gauge(registry, "stevedore_sessions", "Live client sessions", cb -> cb.call(daemon.sessionCount()));
        gauge(registry, "stevedore_sessions_unanswered",
                "Live client sessions no peer has answered yet: those a new client at MaxSessions may evict",
                cb -> cb.call(daemon.unansweredSessions()));
        gauge(registry, "stevedore_sessions_max", "Session.MaxSessions", cb -> cb.call(daemon.maxSessions()));

        counter(registry, "stevedore_peer_datagrams",
                "Datagrams sent to a peer (direction upload) and relayed from it to clients (download)", cb -> {
                    for (Upstream upstream : daemon.upstreams()) {
                        for (Peer peer : upstream.peers()) {
                            PeerKey key = new PeerKey(upstream.name(), peer.address());
                            String address = Addresses.format(peer.address());
                            cb.call(counters.peer(key, PeerCounter.FORWARDED_DATAGRAMS), upstream.name(), address, UPLOAD);
                            cb.call(counters.peer(key, PeerCounter.REPLIED_DATAGRAMS), upstream.name(), address, DOWNLOAD);
                        }
                    }
                }, "upstream", "peer", "direction");
        counter(registry, "stevedore_peer_bytes",
                "Payload bytes sent to a peer (direction upload) and relayed from it to clients (download)", cb -> {
                    for (Upstream upstream : daemon.upstreams()) {
                        for (Peer peer : upstream.peers()) {
                            PeerKey key = new PeerKey(upstream.name(), peer.address());
                            String address = Addresses.format(peer.address());
                            cb.call(counters.peer(key, PeerCounter.FORWARDED_BYTES), upstream.name(), address, UPLOAD);
                            cb.call(counters.peer(key, PeerCounter.REPLIED_BYTES), upstream.name(), address, DOWNLOAD);
                        }
                    }
                }, "upstream", "peer", "direction");
        counter(registry, "stevedore_peer_send_errors",
                "Sends to a peer that failed, at once or reported by ICMP; each also marks the peer down", cb -> {
                    for (Upstream upstream : daemon.upstreams()) {
                        for (Peer peer : upstream.peers()) {
                            cb.call(counters.peer(new PeerKey(upstream.name(), peer.address()), PeerCounter.SEND_ERRORS),
                                    upstream.name(), Addresses.format(peer.address()));
                        }
                    }
                }, "upstream", "peer");
        gauge(registry, "stevedore_peer_up", "1 while the peer is up, 0 while it is down", cb -> {
            for (Upstream upstream : daemon.upstreams()) {
                for (Peer peer : upstream.peers()) {
                    cb.call(upstream.isUp(peer.index()) ? 1 : 0, upstream.name(), Addresses.format(peer.address()));
                }
            }
        }, "upstream", "peer");
        counter(registry, "stevedore_health_probes",
                "Active health-probe rounds by result, for upstreams with a HealthChecker", cb -> {
                    for (Upstream upstream : daemon.upstreams()) {
                        if (upstream.config().healthChecker().isEmpty()) {
                            continue;
                        }
                        for (Peer peer : upstream.peers()) {
                            PeerKey key = new PeerKey(upstream.name(), peer.address());
                            String address = Addresses.format(peer.address());
                            cb.call(observed.probes().count(key, true), upstream.name(), address, "success");
                            cb.call(observed.probes().count(key, false), upstream.name(), address, "failure");
                        }
                    }
                }, "upstream", "peer", "result");

        Reloads reloads = observed.reloads();
        counter(registry, "stevedore_config_reloads", "Configuration reloads (SIGHUP) applied and rejected", cb -> {
            cb.call(reloads.ok(), "ok");
            cb.call(reloads.failed(), "failed");
        }, "result");
        gauge(registry, "stevedore_config_last_reload_success_timestamp_seconds",
                "When the running configuration was read: at start or by the last reload applied",
                cb -> cb.call(reloads.lastApplied().toEpochMilli() / 1000.0));

        Info build = Info.builder().name("stevedore_build_info").help("The running build; the value is always 1")
                .labelNames("version", "transport", "java").register(registry);
        build.setLabelValues(observed.version(), daemon.transport().name().toLowerCase(Locale.ROOT),
                System.getProperty("java.version"));
        return registry;
    }

    /** An event loop's index: its counts cover all its listening sockets, one per local address for a wildcard. */
    private static String listener(int index) {
        return Integer.toString(index);
    }

    private static void counter(PrometheusRegistry registry, String name, String help,
            Consumer<CounterWithCallback.Callback> callback, String... labels) {
        CounterWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback).register(registry);
    }

    private static void gauge(PrometheusRegistry registry, String name, String help,
            Consumer<GaugeWithCallback.Callback> callback, String... labels) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(callback).register(registry);
    }
}
