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
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health checks of a set of upstreams: one probe socket per peer of every upstream
 * that has a {@code HealthChecker}, all served by one event-loop thread of their own, apart from
 * the data-plane loops. Upstreams without a checker are left alone (their peers stay up unless
 * the data plane takes them down). Closing stops every probe and closes every probe socket.
 *
 * <p>The checks only judge: each verdict goes to a {@link PeerStates}, whose thread marks the peer
 * up or down, so that one thread writes peer health. The daemon's checks use the daemon's (see
 * {@link #start(List, Duration, PeerStates)}); checks started on upstreams alone bring their own.
 *
 * <p>A reload closes the checkers and starts their {@link #successor}: a peer kept (same address)
 * in an upstream whose checker the control plane keeps (its {@code HealthChecker} did not change)
 * goes on where it was, its consecutive successes or failures still counted and its next probe
 * still due when it was; the other upstreams' probes start over. Up or down is not kept here but
 * in the upstreams, which {@link PeerStates#next} carries over.
 */
public final class HealthCheckers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthCheckers.class);
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final long CLOSE_TIMEOUT_SECONDS = 5;

    /** A peer by what survives a reload: its upstream's name and its address. */
    private record PeerId(String upstream, InetSocketAddress address) {
    }

    private final EventLoopGroup group;
    private final Duration second;
    private final Map<String, ProbeCounts> counts;
    private final PeerStates states;
    /** Whether {@link #states} was started for these checks alone, and so is closed with them. */
    private final boolean ownsStates;
    /** Confined to the health loop while it runs; read by {@link #successor} once it has stopped. */
    private final Map<PeerId, PeerProbe> probes;
    /** Whether {@link #close()} saw the health loop stop, so that {@link #probes} may be read. */
    private volatile boolean stopped;
    private volatile boolean closed;

    private HealthCheckers(EventLoopGroup group, Duration second, Map<String, ProbeCounts> counts,
                           PeerStates states, boolean ownsStates, Map<PeerId, PeerProbe> probes) {
        this.group = group;
        this.second = second;
        this.counts = counts;
        this.states = states;
        this.ownsStates = ownsStates;
        this.probes = probes;
    }

    /** The checks of {@code upstreams}, whose verdicts {@code states} applies: the daemon's. */
    public static HealthCheckers start(List<Upstream> upstreams, PeerStates states) {
        return start(upstreams, SECOND, states);
    }

    /**
     * As {@link #start(List, PeerStates)}, with each configured second lasting {@code second}:
     * tests shorten it so that intervals and timeouts take milliseconds.
     */
    public static HealthCheckers start(List<Upstream> upstreams, Duration second, PeerStates states) {
        return start(upstreams, second, states, false, Map.of(), Set.of(), Set.of());
    }

    /** Checks of upstreams that no {@link PeerStates} owns, with a peer-state thread of their own. */
    public static HealthCheckers start(List<Upstream> upstreams) {
        return start(upstreams, SECOND);
    }

    /** As {@link #start(List)}, with each configured second lasting {@code second}. */
    public static HealthCheckers start(List<Upstream> upstreams, Duration second) {
        return start(upstreams, second, PeerStates.over(upstreams), true, Map.of(), Set.of(), Set.of());
    }

    /**
     * The checkers of {@code upstreams} after a reload, continuing these closed ones (see the class
     * comment), with the same length of a second.
     *
     * @param kept the upstreams whose probes go on where they were; the others' start over
     * @throws IllegalStateException if these checkers are not closed
     */
    public HealthCheckers successor(List<Upstream> upstreams, Set<String> kept) {
        if (!closed) {
            throw new IllegalStateException("close the health checkers before starting their successor");
        }
        Map<PeerId, PeerProbe.Kept> where = new HashMap<>();
        if (stopped) {
            long now = System.nanoTime();
            probes.forEach((peer, probe) -> where.put(peer, probe.kept(now)));
        } else {
            log.warn("the health checks did not stop in time: probe counts of every peer start over");
        }
        // Closed with this one, an owned PeerStates applies nothing more: the successor needs its own.
        PeerStates nextStates = ownsStates ? PeerStates.over(upstreams) : states;
        return start(upstreams, second, nextStates, ownsStates, where, counts.keySet(), kept);
    }

    /**
     * @param checkedBefore the upstreams the predecessor probed, for the log line
     * @param unchanged the upstreams whose probes continue from {@code kept}
     */
    private static HealthCheckers start(List<Upstream> upstreams, Duration second, PeerStates states,
                                        boolean ownsStates, Map<PeerId, PeerProbe.Kept> kept,
                                        Set<String> checkedBefore, Set<String> unchanged) {
        List<Upstream> checked = upstreams.stream().filter(u -> u.config().healthChecker().isPresent()).toList();
        if (checked.isEmpty()) {
            return new HealthCheckers(null, second, Map.of(), states, ownsStates, Map.of());
        }
        // NIO, not epoll, even on Linux: probes are a few datagrams per interval, so batching buys
        // nothing, and a connected NIO socket reports ICMP port unreachable the same way everywhere.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("stevedore-health", true), NioIoHandler.newFactory());
        ChannelFactory<? extends Channel> channels = NioDatagramChannel::new;
        EventLoop loop = group.next();

        Map<String, ProbeCounts> counts = new TreeMap<>();
        Map<PeerId, PeerProbe> probes = new HashMap<>();
        for (Upstream upstream : checked) {
            HealthCheckConfig config = upstream.config().healthChecker().orElseThrow();
            ProbeSettings settings = ProbeSettings.of(config, second, upstream.config().proxyProtocol());
            ProbeCounts upstreamCounts = new ProbeCounts(upstream.peers().size());
            counts.put(upstream.name(), upstreamCounts);
            boolean continues = unchanged.contains(upstream.name());
            int continued = 0;
            for (Peer peer : upstream.peers()) {
                PeerId id = new PeerId(upstream.name(), peer.address());
                Optional<PeerProbe.Kept> previous = continues ? Optional.ofNullable(kept.get(id)) : Optional.empty();
                continued += previous.isPresent() ? 1 : 0;
                probes.put(id, new PeerProbe(upstream, peer, settings, upstreamCounts, states, loop, channels, previous));
            }
            log.info("health checks for upstream {}: {} every {}, timeout {}, FailedTimes {}, SuccessTimes {}, {}{}",
                    upstream.name(), upstream.peers().size() == 1 ? "1 peer" : upstream.peers().size() + " peers",
                    ProbeSettings.describe(settings.interval()), ProbeSettings.describe(settings.timeout()),
                    settings.failedTimes(), settings.successTimes(),
                    settings.expect().isPresent() ? "a reply must start with Expect" : "failing on ICMP port unreachable",
                    reloaded(checkedBefore.contains(upstream.name()), continues, continued));
        }
        List<PeerProbe> starting = List.copyOf(probes.values());
        loop.execute(() -> starting.forEach(PeerProbe::start));
        return new HealthCheckers(group, second, Map.copyOf(counts), states, ownsStates, probes);
    }

    /** What a reload did to an upstream's probes, for its log line. */
    private static String reloaded(boolean checkedBefore, boolean unchanged, int continued) {
        if (!checkedBefore) {
            return "";
        }
        if (!unchanged) {
            return "; HealthChecker changed: probing starts over, peers keep up or down";
        }
        return "; unchanged: " + (continued == 1 ? "1 peer keeps its probe streak" : continued + " peers keep their probe streaks");
    }

    /** Probe results per peer of {@code upstream}, or empty if that upstream is not checked. */
    public Optional<ProbeCounts> probeCounts(String upstream) {
        return Optional.ofNullable(counts.get(upstream));
    }

    /**
     * Stops probing and waits for the probe sockets to close and for the verdicts already handed
     * over to be applied; no state change is published after it returns.
     */
    @Override
    public void close() {
        closed = true;
        if (group == null) {
            stopped = true;
        } else if (group.shutdownGracefully(0, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS)) {
            stopped = true;
        }
        // A reload reads the peers' states next, to carry them over: the last verdicts must be in them.
        if (ownsStates) {
            states.close();
        } else {
            states.awaitHandedOver(CLOSE_TIMEOUT_SECONDS * 1000);
        }
    }
}
