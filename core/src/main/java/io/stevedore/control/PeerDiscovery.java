package io.stevedore.control;

import io.stevedore.config.Addresses;
import io.stevedore.config.BalanceType;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.ResolveConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.discovery.PeerResolver;
import io.stevedore.discovery.ResolvedPeers;
import io.stevedore.metrics.ResolveResult;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peers of upstreams with {@code Resolve}: each name asked for again on its schedule, on a
 * thread of its own ({@code stevedore-discovery}, queries on the resolver's event loop), never on
 * the data path. It keeps the last good answer per upstream; a change is handed to the control
 * plane ({@link #onChange}), which applies it like a reload. An empty or failed answer keeps the
 * last good peers, is counted, and logged when the result differs from the previous one.
 *
 * <p>A name new to the file (at start, or in a reload) is resolved at once, for at most
 * {@link #FIRST_ANSWER_MILLIS}: the configuration starts with its answer, or with the file's
 * peers alone when there is none yet, and the answer is applied whenever it comes.
 */
final class PeerDiscovery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerDiscovery.class);

    /**
     * The shortest TTL obeyed, and how soon a failed or empty answer is asked again: a TTL of 0
     * (Consul's default, dnsmasq's for its own records) must not become a query loop.
     */
    static final int MIN_INTERVAL_SEC = 5;
    /** How long a start or reload waits for a new name's first answer: a query and its retry. */
    static final long FIRST_ANSWER_MILLIS = 6_000;

    private final ResolveTotals totals;
    /** The listening address, whose port on this host no resolved peer may take. */
    private final InetSocketAddress listenAddr;
    private final Map<String, Track> tracks = new HashMap<>();
    private final Map<List<InetSocketAddress>, PeerResolver> resolvers = new HashMap<>();
    private ScheduledExecutorService timer;
    private boolean closed;
    private volatile Runnable changed = () -> { };

    /** One upstream's name: what it asks for and the last good peers it got. Guarded by the discovery. */
    private static final class Track {
        final String upstream;
        final ResolveConfig config;
        /** Primaries of weight {@code Peer.weight}; empty until a good answer. */
        List<PeerConfig> peers = List.of();
        /** How many peers DNS may add: a chash upstream's TableSize less the file's peers. */
        int capacity = Integer.MAX_VALUE;
        ResolveResult last;
        ScheduledFuture<?> next;
        boolean retired;

        Track(String upstream, ResolveConfig config) {
            this.upstream = upstream;
            this.config = config;
        }
    }

    PeerDiscovery(ResolveTotals totals, InetSocketAddress listenAddr) {
        this.totals = totals;
        this.listenAddr = listenAddr;
    }

    /** What runs when an answer changes an upstream's peers; on the discovery thread. */
    void onChange(Runnable action) {
        this.changed = action;
    }

    /**
     * Follows the names of {@code asked} from now on: the names it no longer has are forgotten, new
     * or changed ones resolved at once (bounded). Returns {@code asked} with the peers found.
     */
    StevedoreConfig follow(StevedoreConfig asked) throws InterruptedException {
        Map<String, ResolveConfig> wanted = new LinkedHashMap<>();
        Map<String, Integer> capacities = new HashMap<>();
        for (UpstreamConfig upstream : asked.upload().upstreams()) {
            upstream.resolve().ifPresent(resolve -> wanted.put(upstream.name(), resolve));
            capacities.put(upstream.name(), upstream.type() == BalanceType.CHASH
                    ? upstream.tableSize() - upstream.peers().size() : Integer.MAX_VALUE);
        }
        Map<Track, CompletableFuture<ResolvedPeers>> fresh = new LinkedHashMap<>();
        synchronized (this) {
            for (Iterator<Track> it = tracks.values().iterator(); it.hasNext(); ) {
                Track track = it.next();
                if (!track.config.equals(wanted.get(track.upstream))) {
                    retire(track);
                    it.remove();
                }
            }
            wanted.forEach((upstream, resolve) -> {
                if (!tracks.containsKey(upstream)) {
                    Track track = new Track(upstream, resolve);
                    tracks.put(upstream, track);
                    fresh.put(track, query(track));
                }
                tracks.get(upstream).capacity = capacities.get(upstream);
            });
            Set<List<InetSocketAddress>> used = new HashSet<>();
            tracks.values().forEach(track -> used.add(track.config.servers()));
            resolvers.entrySet().removeIf(entry -> {
                if (used.contains(entry.getKey())) {
                    return false;
                }
                entry.getValue().close();
                return true;
            });
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_ANSWER_MILLIS);
        for (Map.Entry<Track, CompletableFuture<ResolvedPeers>> entry : fresh.entrySet()) {
            CompletableFuture<ResolvedPeers> answer = entry.getValue();
            try {
                answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                // Taken in below: a failure as a failure, a late answer when it comes.
            }
            Track track = entry.getKey();
            if (answer.isDone()) {
                accept(track, answer);
            } else {
                log.warn("upstream {}: no answer yet for {} after {} ms; it runs with the file's peers until one comes",
                        track.upstream, track.config.origin(), FIRST_ANSWER_MILLIS);
                answer.whenCompleteAsync((peers, failure) -> acceptAndApply(track, answer), timer());
            }
        }
        return merged(asked);
    }

    /** {@code asked} with the last good peers of each upstream it resolves, after the file's own. */
    synchronized StevedoreConfig merged(StevedoreConfig asked) {
        List<UpstreamConfig> upstreams = new ArrayList<>();
        for (UpstreamConfig upstream : asked.upload().upstreams()) {
            Track track = tracks.get(upstream.name());
            if (track == null || upstream.resolve().isEmpty() || !track.config.equals(upstream.resolve().get())) {
                upstreams.add(upstream);
                continue;
            }
            List<PeerConfig> peers = new ArrayList<>(upstream.peers());
            Set<InetSocketAddress> written = peers.stream().map(PeerConfig::address).collect(Collectors.toSet());
            // A reload that shrank TableSize runs with what fits until the next answer is rejected or fits.
            track.peers.stream().filter(peer -> !written.contains(peer.address())).limit(track.capacity)
                    .forEach(peers::add);
            upstreams.add(upstream.withPeers(peers));
        }
        UploadConfig upload = asked.upload();
        return new StevedoreConfig(asked.server(), asked.session(),
                new UploadConfig(upload.defaultUpstream(), upload.routes(), upstreams), asked.log(), asked.admin());
    }

    private CompletableFuture<ResolvedPeers> query(Track track) {
        ResolveConfig config = track.config;
        PeerResolver resolver = resolvers.computeIfAbsent(config.servers(), PeerResolver::new);
        return resolver.resolve(config.name(), config.type(), config.port());
    }

    private void tick(Track track) {
        CompletableFuture<ResolvedPeers> answer;
        synchronized (this) {
            if (track.retired || closed) {
                return;
            }
            answer = query(track);
        }
        answer.whenCompleteAsync((peers, failure) -> acceptAndApply(track, answer), timer());
    }

    private void acceptAndApply(Track track, CompletableFuture<ResolvedPeers> answer) {
        if (accept(track, answer) == ResolveResult.CHANGED) {
            try {
                changed.run();
            } catch (RuntimeException e) {
                log.error("upstream {}: the peers {} names could not be applied: {}", track.upstream,
                        track.config.origin(), e.toString());
            }
        }
    }

    /** Takes a completed answer in: counts it, keeps it if good, logs, schedules the next query. */
    private synchronized ResolveResult accept(Track track, CompletableFuture<ResolvedPeers> answer) {
        if (track.retired || closed) {
            return null;
        }
        ResolvedPeers peers = null;
        String failure = null;
        try {
            peers = answer.getNow(null);
        } catch (RuntimeException e) {
            failure = (e.getCause() == null ? e : e.getCause()).toString();
        }
        String upstream = track.upstream;
        String origin = track.config.origin();
        ResolveResult result;
        long ttl = Long.MAX_VALUE;
        List<PeerConfig> found = List.of();
        if (peers == null) {
            result = ResolveResult.FAILED;
        } else {
            ttl = peers.ttlSeconds();
            found = usable(track, peers);
            result = found.isEmpty() ? ResolveResult.EMPTY
                    : found.size() > track.capacity ? ResolveResult.REJECTED
                    : found.equals(track.peers) ? ResolveResult.UNCHANGED : ResolveResult.CHANGED;
        }
        totals.add(upstream, result);
        boolean again = result == track.last;
        switch (result) {
            case CHANGED -> log.info("upstream {}: {} names {} peer(s) now: added {}, removed {}", upstream, origin,
                    found.size(), difference(found, track.peers), difference(track.peers, found));
            case UNCHANGED -> log.debug("upstream {}: {} unchanged", upstream, origin);
            case FAILED -> logKept(again, "upstream {}: resolving {} failed ({}); its {} peer(s) from DNS stay", upstream,
                    origin, failure, track.peers.size());
            case EMPTY -> logKept(again, "upstream {}: {} has no usable records; its {} peer(s) from DNS stay", upstream,
                    origin, track.peers.size());
            case REJECTED -> logKept(again, "upstream {}: {} names {} peers, more than TableSize allows with the "
                    + "file's; its {} peer(s) from DNS stay", upstream, origin, found.size(), track.peers.size());
        }
        if (result == ResolveResult.CHANGED) {
            track.peers = found;
        }
        track.last = result;
        track.next = timer().schedule(() -> tick(track), nextQuerySec(result, ttl, track.config.intervalSec()),
                TimeUnit.SECONDS);
        return result;
    }

    /**
     * Seconds until a name is asked again after {@code result}: its interval, or the answer's TTL
     * when shorter but not under {@link #MIN_INTERVAL_SEC}; after a result that kept the last good
     * peers, soon, since the running set may be stale.
     */
    static long nextQuerySec(ResolveResult result, long ttlSeconds, int intervalSec) {
        boolean good = result == ResolveResult.CHANGED || result == ResolveResult.UNCHANGED;
        return Math.min(intervalSec, good ? Math.max(ttlSeconds, MIN_INTERVAL_SEC) : MIN_INTERVAL_SEC);
    }

    private static void logKept(boolean again, String format, Object... arguments) {
        if (again) {
            log.debug(format, arguments);
        } else {
            log.warn(format, arguments);
        }
    }

    /** The answer's peers, once each, without any that would send back to the listening sockets. */
    private List<PeerConfig> usable(Track track, ResolvedPeers answer) {
        Map<InetSocketAddress, PeerConfig> peers = new LinkedHashMap<>();
        for (ResolvedPeers.Peer peer : answer.peers()) {
            if (Addresses.reachesListener(listenAddr, peer.address())) {
                if (track.last != ResolveResult.UNCHANGED) {
                    log.warn("upstream {}: {} names {}, Stevedore's own listening address; left out",
                            track.upstream, track.config.origin(), Addresses.format(peer.address()));
                }
                continue;
            }
            peers.putIfAbsent(peer.address(), new PeerConfig(peer.address(), peer.weight(), false, false, null,
                    track.config.origin()));
        }
        return List.copyOf(peers.values());
    }

    private static String difference(List<PeerConfig> a, List<PeerConfig> b) {
        Set<InetSocketAddress> in = b.stream().map(PeerConfig::address).collect(Collectors.toSet());
        return a.stream().map(PeerConfig::address).filter(address -> !in.contains(address)).map(Addresses::format)
                .toList().toString();
    }

    private void retire(Track track) {
        track.retired = true;
        if (track.next != null) {
            track.next.cancel(false);
        }
    }

    private synchronized ScheduledExecutorService timer() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("stevedore-discovery", true));
        }
        return timer;
    }

    @Override
    public void close() {
        ScheduledExecutorService stopping;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            tracks.values().forEach(this::retire);
            tracks.clear();
            resolvers.values().forEach(PeerResolver::close);
            resolvers.clear();
            stopping = timer;
        }
        if (stopping != null) {
            stopping.shutdownNow();
        }
    }
}
