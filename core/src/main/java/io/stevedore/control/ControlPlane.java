package io.stevedore.control;

import io.stevedore.config.Addresses;
import io.stevedore.config.SessionConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.balancing.Upstream;
import io.stevedore.health.HealthCheckers;
import io.stevedore.health.PeerStates;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.PeerKey;
import io.stevedore.transport.Daemon;
import io.stevedore.transport.Forwarding;
import io.stevedore.transport.SessionLog;
import io.stevedore.transport.SocketBudget;
import io.stevedore.transport.Transport;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner of the configuration's life: it compiles a configuration into the data plane's
 * {@link Forwarding} plan, over the peer health ({@link PeerStates}) and the {@link Counters} it
 * creates, starts the data plane on it and the active health checks, and on a reload decides what
 * changes ({@link ReloadDecision}) before anything does, compiles the next plan, hands it to the data
 * plane and restarts the health checks it must. The data plane ({@link Daemon}) decides and builds
 * nothing: it starts, applies a plan (its event loops see it between two read batches) and closes.
 *
 * <p>Peers named by DNS ({@code Upstream.Resolve}) join the file's: {@link PeerDiscovery} follows
 * the names, and each change of their answer is applied here as a reload of the file's
 * configuration with the new peers, decided by the same {@link ReloadDecision}. A reload and an
 * answer's change run one at a time; {@link #close()} may run during either and never waits for
 * it: one that finds the plane closed leaves no health check running.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    private final Daemon daemon;
    private final ProbeTotals probes = new ProbeTotals();
    /** Written by reloads and read by {@link #close()}, which takes no lock. */
    private volatile HealthCheckers health;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final DrainWatch drains;
    private final PeerDiscovery discovery;
    private final ResolveTotals resolves;
    /** One change at a time: a reload of the file, or a DNS answer's. */
    private final Object changes = new Object();
    /** The configuration as the file asks for it, without the peers DNS names; guarded by {@link #changes}. */
    private StevedoreConfig asked;

    private ControlPlane(Daemon daemon, HealthCheckers health, PeerDiscovery discovery, ResolveTotals resolves,
            StevedoreConfig asked) {
        this.daemon = daemon;
        this.health = health;
        this.discovery = discovery;
        this.resolves = resolves;
        this.asked = asked;
        probes.track(health, daemon.upstreams());
        drains = new DrainWatch(daemon);
        drains.configured();
    }

    /**
     * Starts the data plane on {@code config} (epoll, or NIO where it is missing) and the health
     * checks of its upstreams.
     *
     * @throws io.stevedore.transport.ListenException if {@code Server.ListenAddr} cannot be bound
     */
    public static ControlPlane start(StevedoreConfig config) throws InterruptedException {
        return start(config, SessionLog.OFF);
    }

    /**
     * As {@link #start(StevedoreConfig)}, reporting every session closed to {@code sessionLog}. The
     * names of {@code Resolve} are resolved first, for a bounded time: an upstream whose name has no
     * answer yet starts with the file's peers (none, if it has no {@code Peers}; its datagrams are
     * then dropped as {@code no_peer}) and gets the peers when the answer comes.
     */
    public static ControlPlane start(StevedoreConfig config, SessionLog sessionLog) throws InterruptedException {
        ResolveTotals resolves = new ResolveTotals();
        PeerDiscovery discovery = new PeerDiscovery(resolves, config.server().listenAddr());
        Daemon daemon;
        try {
            daemon = startDataPlane(discovery.follow(config), Transport.best(), sessionLog);
        } catch (InterruptedException | RuntimeException e) {
            discovery.close();
            throw e;
        }
        ControlPlane plane;
        try {
            plane = new ControlPlane(daemon, HealthCheckers.start(daemon.upstreams(), daemon.peerStates()), discovery,
                    resolves, config);
        } catch (RuntimeException e) {
            discovery.close();
            daemon.close();
            throw e;
        }
        discovery.onChange(plane::rediscovered);
        // An answer that came between the start and the line above.
        plane.rediscovered();
        return plane;
    }

    /** As {@link #startDataPlane(StevedoreConfig, Transport, SessionLog)}, on epoll (NIO where it is missing). */
    public static Daemon startDataPlane(StevedoreConfig config) throws InterruptedException {
        return startDataPlane(config, Transport.best(), SessionLog.OFF);
    }

    /** As {@link #startDataPlane(StevedoreConfig, Transport, SessionLog)}, reporting sessions nowhere. */
    public static Daemon startDataPlane(StevedoreConfig config, Transport transport) throws InterruptedException {
        return startDataPlane(config, transport, SessionLog.OFF);
    }

    /**
     * The data plane alone, without health checks or DNS, on the plan of {@code config}: every peer
     * up, a {@link PeerStates} and {@link Counters} of its own. {@link #start} begins with it; tests
     * and the demo drive it directly, reloading it with {@link #replan}. Closing the daemon closes
     * the {@code PeerStates} once the loops stopped reading and before they end, so that a datagram
     * a loop handed over with a suspect peer comes back to its loop to be released.
     *
     * @throws io.stevedore.transport.ListenException if {@code Server.ListenAddr} cannot be bound
     */
    public static Daemon startDataPlane(StevedoreConfig config, Transport transport, SessionLog sessionLog)
            throws InterruptedException {
        List<UpstreamConfig> upstreams = config.upload().upstreams();
        PeerStates peerStates = PeerStates.start(upstreams);
        try {
            Counters counters = new Counters(upstreams, Daemon.loopCount(config.server(), transport));
            return Daemon.start(compile(config, peerStates.upstreams(), counters, null), peerStates, counters,
                    transport, sessionLog, peerStates::close);
        } catch (InterruptedException | RuntimeException e) {
            peerStates.close();
            throw e;
        }
    }

    /**
     * The plan of {@code config} over {@code upstreams} (its upstreams, as {@link PeerStates}
     * publishes them), replacing {@code previous} (null at start): each peer gets its counters'
     * slot, the one it had if {@code previous} had it.
     */
    private static Forwarding compile(StevedoreConfig config, List<Upstream> upstreams, Counters counters,
            Forwarding previous) {
        return new Forwarding(config, upstreams, counters.assign(config.upload().upstreams()), counters.slotCount(),
                previous, System.nanoTime());
    }

    /**
     * Runs {@code next} from now on: decides the reload, hands the data plane its part
     * ({@link #replan}) and restarts the health checks, each unchanged checker continuing its kept
     * peers' probes. Probing stops while the peers change hands, so no verdict is published to an
     * upstream being replaced. If the data plane cannot apply it, the running configuration stays
     * and its health checks go on.
     */
    public ReloadDecision reload(StevedoreConfig next) throws InterruptedException {
        synchronized (changes) {
            ReloadDecision decision;
            try {
                decision = apply(discovery.follow(next));
            } catch (RuntimeException e) {
                // The running file's names again, so that a later answer is merged into what runs.
                discovery.follow(asked);
                throw e;
            }
            asked = next;
            return decision;
        }
    }

    /**
     * Applies the peers DNS names now, if they differ from those running, as a reload of the file's
     * configuration. On the discovery thread (and once at start).
     */
    private void rediscovered() {
        synchronized (changes) {
            if (closed.get()) {
                return;
            }
            StevedoreConfig next = discovery.merged(asked);
            if (samePeers(next, daemon.config())) {
                return;
            }
            try {
                apply(next);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                if (!closed.get()) {
                    log.error("the peers DNS names could not be applied: {}; the running peers stay", e.toString());
                }
            }
        }
    }

    private static boolean samePeers(StevedoreConfig a, StevedoreConfig b) {
        return a.upload().upstreams().stream().map(UpstreamConfig::peers).toList()
                .equals(b.upload().upstreams().stream().map(UpstreamConfig::peers).toList());
    }

    private ReloadDecision apply(StevedoreConfig next) throws InterruptedException {
        StevedoreConfig running = daemon.config();
        health.close();
        probes.retire();
        ReloadDecision decision;
        try {
            decision = replan(daemon, next);
        } catch (InterruptedException | RuntimeException e) {
            restartHealth(ReloadDecision.of(running, running));
            throw e;
        }
        restartHealth(decision);
        drains.configured();
        return decision;
    }

    /**
     * The data plane's part of a reload, without the health checks: decided and compiled here,
     * applied by every event loop (see {@link Daemon#apply}). One at a time: the plan compiled
     * replaces the one running when it started. The upstreams are built on the peer-state thread,
     * where a peer kept in an upstream with a {@code HealthChecker} stays down if it is down
     * ({@link PeerStates#next}); the others start up.
     */
    public static ReloadDecision replan(Daemon daemon, StevedoreConfig next) throws InterruptedException {
        ReloadDecision decision = ReloadDecision.of(daemon.config(), next);
        StevedoreConfig applied = decision.applied();
        List<Upstream> upstreams = daemon.peerStates().next(applied.upload().upstreams());
        daemon.apply(compile(applied, upstreams, daemon.counters(), daemon.plan()), decision.reopenSessions());
        SessionConfig session = applied.session();
        if (decision.sessionBudgetChanged()) {
            SocketBudget.logShortfalls(session);
        }
        if (decision.sourceAddrsChanged()) {
            List<InetAddress> sources = session.sourceAddrs();
            log.info("Session.SourceAddrs changed: the sockets of new sessions are bound to {}; live sessions keep "
                    + "theirs", sources.isEmpty() ? "the address the kernel chooses"
                            : sources.stream().map(InetAddress::getHostAddress).toList());
            SocketBudget.warnUnbindable(sources);
        }
        List<PeerKey> retired = decision.peers(ReloadDecision.Change.RETIRED);
        if (!retired.isEmpty()) {
            log.info("peer(s) {} retired: no new datagram goes to them; their replies to live sessions are relayed for "
                    + "{} s (Session.TimeoutSec)", retired.stream().map(peer -> Addresses.format(peer.address()))
                            .collect(Collectors.joining(", ")),
                    session.timeoutSec());
        }
        return decision;
    }

    private void restartHealth(ReloadDecision decision) {
        HealthCheckers next = health.successor(daemon.upstreams(), decision.checkers(ReloadDecision.Checker.KEPT));
        health = next;
        probes.track(next, daemon.upstreams());
        // A close that read the field before this write closed the predecessor only.
        if (closed.get()) {
            next.close();
        }
    }

    public Daemon daemon() {
        return daemon;
    }

    /** DNS resolutions per upstream and result over the daemon's life. */
    public ResolveTotals resolves() {
        return resolves;
    }

    /** Probe results per peer over the daemon's life, across the reloads' health checkers. */
    public ProbeTotals probes() {
        return probes;
    }

    /** Stops the data plane (flushing what is queued) and the health checks. Idempotent; takes no lock. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        drains.close();
        discovery.close();
        daemon.close();
        health.close();
    }
}
