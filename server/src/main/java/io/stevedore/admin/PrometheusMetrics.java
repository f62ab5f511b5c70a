package io.stevedore.admin;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.config.BalanceType;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.Metric;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.metrics.PeerKey;
import io.stevedore.metrics.ResolveResult;
import io.stevedore.transport.Daemon;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The Prometheus metrics of {@code /metrics}, every one read by a callback when scraped: the data
 * plane only ever writes its own per-loop counters, and a scrape sums them. Names, help and labels
 * are {@link Metric}'s; the per-loop and per-peer metrics are registered for each counter the
 * catalogue has, so a new one needs no line here. Peers are those of the running configuration; a
 * peer removed by a reload disappears, and one added back resumes its counts.
 */
final class PrometheusMetrics {

    /** One sample of a callback metric, counter or gauge alike. */
    @FunctionalInterface
    private interface Sample {
        void call(double value, String... labelValues);
    }

    private PrometheusMetrics() {
    }

    /** A registry of every metric, for one endpoint. */
    static PrometheusRegistry registry(Observed observed) {
        PrometheusRegistry registry = new PrometheusRegistry();
        Daemon daemon = observed.daemon();
        Counters counters = daemon.counters();

        for (LoopCounter counter : LoopCounter.values()) {
            if (counter.metric() != null) {
                register(registry, counter.metric(), sample -> {
                    for (int i = 0; i < counters.loopCount(); i++) {
                        sample.call(counters.loop(i, counter), listener(i));
                    }
                });
            }
        }
        register(registry, Metric.DROPPED_DATAGRAMS, sample -> {
            for (DropReason reason : DropReason.values()) {
                sample.call(counters.dropped(reason), reason.label());
            }
        });
        register(registry, Metric.LISTENER_OVERFLOWS, sample -> {
            for (int i = 0; i < counters.loopCount(); i++) {
                sample.call(counters.overflow(i), listener(i));
            }
        });
        register(registry, Metric.SESSIONS_CLOSED, sample -> {
            for (int i = 0; i < counters.loopCount(); i++) {
                for (CloseReason reason : CloseReason.values()) {
                    sample.call(counters.loop(i, reason), listener(i), reason.label());
                }
            }
        });
        register(registry, Metric.SESSIONS, sample -> sample.call(daemon.sessionCount()));
        register(registry, Metric.SESSIONS_UNANSWERED, sample -> sample.call(daemon.unansweredSessions()));
        register(registry, Metric.SESSIONS_MAX, sample -> sample.call(daemon.maxSessions()));

        Map<Metric, List<PeerCounter>> peerMetrics = new EnumMap<>(Metric.class);
        for (PeerCounter counter : PeerCounter.values()) {
            if (counter.result() != null) {
                continue;
            }
            peerMetrics.computeIfAbsent(counter.metric(), m -> new ArrayList<>()).add(counter);
        }
        peerMetrics.forEach((metric, peerCounters) -> register(registry, metric, sample -> {
            for (Upstream upstream : daemon.upstreams()) {
                for (Peer peer : upstream.peers()) {
                    PeerKey key = new PeerKey(upstream.name(), peer.address());
                    String address = Addresses.format(peer.address());
                    for (PeerCounter counter : peerCounters) {
                        double value = counters.peer(key, counter);
                        if (counter.direction() == null) {
                            sample.call(value, upstream.name(), address);
                        } else {
                            sample.call(value, upstream.name(), address, counter.direction());
                        }
                    }
                }
            }
        }));
        register(registry, Metric.QUIC_DATAGRAMS, sample -> {
            for (Upstream upstream : daemon.upstreams()) {
                if (upstream.config().type() != BalanceType.QUIC) {
                    continue;
                }
                for (PeerCounter counter : List.of(PeerCounter.QUIC_SERVER_ID, PeerCounter.QUIC_FALLBACK)) {
                    long total = 0;
                    for (Peer peer : upstream.peers()) {
                        total += counters.peer(new PeerKey(upstream.name(), peer.address()), counter);
                    }
                    sample.call(total, upstream.name(), counter.result());
                }
            }
        });
        register(registry, Metric.PEER_UP, sample -> {
            for (Upstream upstream : daemon.upstreams()) {
                for (Peer peer : upstream.peers()) {
                    sample.call(upstream.isUp(peer.index()) ? 1 : 0, upstream.name(), Addresses.format(peer.address()));
                }
            }
        });
        register(registry, Metric.HEALTH_PROBES, sample -> {
            for (Upstream upstream : daemon.upstreams()) {
                if (upstream.config().healthChecker().isEmpty()) {
                    continue;
                }
                for (Peer peer : upstream.peers()) {
                    PeerKey key = new PeerKey(upstream.name(), peer.address());
                    String address = Addresses.format(peer.address());
                    sample.call(observed.probes().count(key, true), upstream.name(), address, "success");
                    sample.call(observed.probes().count(key, false), upstream.name(), address, "failure");
                }
            }
        });

        register(registry, Metric.RESOLVES, sample -> {
            // Upstreams with Resolve from their first resolution on, and those that had one before a reload.
            for (String upstream : observed.resolves().upstreams()) {
                for (ResolveResult result : ResolveResult.values()) {
                    sample.call(observed.resolves().count(upstream, result), upstream, result.label());
                }
            }
        });

        Reloads reloads = observed.reloads();
        register(registry, Metric.CONFIG_RELOADS, sample -> {
            sample.call(reloads.ok(), "ok");
            sample.call(reloads.failed(), "failed");
        });
        register(registry, Metric.CONFIG_LAST_RELOAD_SUCCESS,
                sample -> sample.call(reloads.lastApplied().toEpochMilli() / 1000.0));

        register(registry, Metric.ACCESS_LOG_DROPPED, sample -> sample.call(daemon.sessionLog().dropped()));

        Metric buildInfo = Metric.BUILD_INFO;
        Info build = Info.builder().name(buildInfo.prometheusName()).help(buildInfo.help())
                .labelNames(labels(buildInfo)).register(registry);
        build.setLabelValues(observed.version(), daemon.transport().name().toLowerCase(Locale.ROOT),
                System.getProperty("java.version"));
        return registry;
    }

    /** An event loop's index: its counts cover all its listening sockets, one per local address for a wildcard. */
    private static String listener(int index) {
        return Integer.toString(index);
    }

    private static void register(PrometheusRegistry registry, Metric metric, Consumer<Sample> samples) {
        switch (metric.type()) {
            case COUNTER -> CounterWithCallback.builder().name(metric.prometheusName()).help(metric.help())
                    .labelNames(labels(metric)).callback(callback -> samples.accept(callback::call)).register(registry);
            case GAUGE -> GaugeWithCallback.builder().name(metric.prometheusName()).help(metric.help())
                    .labelNames(labels(metric)).callback(callback -> samples.accept(callback::call)).register(registry);
            case INFO -> throw new IllegalArgumentException(metric + " is an info metric, set once, not sampled");
        }
    }

    private static String[] labels(Metric metric) {
        return metric.labels().toArray(new String[0]);
    }
}
