package io.stevedore.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.HealthCheckConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health checks of a set of upstreams: one probe socket per peer of every upstream
 * that has a {@code HealthChecker}, all served by one event-loop thread of their own, apart from
 * the data-plane loops. Upstreams without a checker are left alone (their peers stay up unless
 * the data plane takes them down). Closing stops every probe and closes every probe socket.
 */
public final class HealthCheckers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthCheckers.class);
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final long CLOSE_TIMEOUT_SECONDS = 5;

    private final EventLoopGroup group;
    private final Map<String, ProbeCounts> counts;

    private HealthCheckers(EventLoopGroup group, Map<String, ProbeCounts> counts) {
        this.group = group;
        this.counts = counts;
    }

    public static HealthCheckers start(List<Upstream> upstreams) {
        return start(upstreams, SECOND);
    }

    /**
     * As {@link #start(List)}, with each configured second lasting {@code second}: tests shorten
     * it so that intervals and timeouts take milliseconds.
     */
    public static HealthCheckers start(List<Upstream> upstreams, Duration second) {
        List<Upstream> checked = upstreams.stream().filter(u -> u.config().healthChecker().isPresent()).toList();
        if (checked.isEmpty()) {
            return new HealthCheckers(null, Map.of());
        }
        // NIO, not epoll, even on Linux: probes are a few datagrams per interval, so batching buys
        // nothing, and a connected NIO socket reports ICMP port unreachable the same way everywhere.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("stevedore-health", true), NioIoHandler.newFactory());
        ChannelFactory<? extends Channel> channels = NioDatagramChannel::new;
        EventLoop loop = group.next();

        Map<String, ProbeCounts> counts = new TreeMap<>();
        List<PeerProbe> probes = new ArrayList<>();
        for (Upstream upstream : checked) {
            HealthCheckConfig config = upstream.config().healthChecker().orElseThrow();
            ProbeSettings settings = ProbeSettings.of(config, second);
            ProbeCounts upstreamCounts = new ProbeCounts(upstream.peers().size());
            counts.put(upstream.name(), upstreamCounts);
            for (Peer peer : upstream.peers()) {
                probes.add(new PeerProbe(upstream, peer, settings, upstreamCounts, loop, channels));
            }
            log.info("health checks for upstream {}: {} every {}, timeout {}, FailedTimes {}, SuccessTimes {}, {}",
                    upstream.name(), upstream.peers().size() == 1 ? "1 peer" : upstream.peers().size() + " peers",
                    ProbeSettings.describe(settings.interval()), ProbeSettings.describe(settings.timeout()),
                    settings.failedTimes(), settings.successTimes(),
                    settings.expect().isPresent() ? "a reply must start with Expect" : "failing on ICMP port unreachable");
        }
        loop.execute(() -> probes.forEach(PeerProbe::start));
        return new HealthCheckers(group, Map.copyOf(counts));
    }

    /** Probe results per peer of {@code upstream}, or empty if that upstream is not checked. */
    public Optional<ProbeCounts> probeCounts(String upstream) {
        return Optional.ofNullable(counts.get(upstream));
    }

    /** Stops probing and waits for the probe sockets to close; no state change is published after it returns. */
    @Override
    public void close() {
        if (group != null) {
            group.shutdownGracefully(0, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
        }
    }
}
