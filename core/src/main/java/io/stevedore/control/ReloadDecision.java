package io.stevedore.control;

import io.stevedore.config.Addresses;
import io.stevedore.config.HealthCheckConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.SessionConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.PeerKey;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a reload does, decided from the running configuration and the one asked for, before
 * anything changes: a pure function of two configurations, so each rule is tested by a table
 * with no socket. Peers and upstreams are matched by what survives a reload, their names and
 * addresses ({@link PeerKey}), never by position.
 *
 * @param applied what runs after the reload: the one asked for, with the listening settings,
 *     {@code Log} and {@code Admin} as they run, since those change only with a restart
 * @param needRestart one line per setting asked for that keeps its running value
 * @param peers each peer of either configuration and what happens to it, in the order of the
 *     running configuration then of the new one
 * @param checkers each upstream that has, or had, a {@code HealthChecker}, and what happens to its probes
 * @param reopenSessions whether live session sockets cannot reach the new peers and must be
 *     closed: IPv4 sockets when IPv6 peers come, or sockets bound to an IPv6 {@code SourceAddrs}
 *     when IPv4 peers come
 * @param sessionBudgetChanged whether {@code MaxSessions} or the number of {@code SourceAddrs}
 *     changed, which decide whether the host can open that many session sockets
 * @param sourceAddrsChanged whether new session sockets are bound to other addresses
 */
public record ReloadDecision(StevedoreConfig applied, List<String> needRestart, Map<PeerKey, Change> peers,
        Map<String, Checker> checkers, boolean reopenSessions, boolean sessionBudgetChanged,
        boolean sourceAddrsChanged) {

    /** What a reload does to a peer: it keeps its slot, counters and, when checked, its health. */
    public enum Change {
        KEPT,
        ADDED,
        /** Gone from the configuration: its replies are still relayed for {@code Session.TimeoutSec}. */
        RETIRED
    }

    /** What a reload does to an upstream's active health checks. */
    public enum Checker {
        /** Unchanged {@code HealthChecker}: each kept peer goes on with its probe streak and schedule. */
        KEPT,
        /** Changed {@code HealthChecker}: probing starts over, peers keep up or down. */
        RESTARTED,
        STARTED,
        STOPPED
    }

    public ReloadDecision {
        needRestart = List.copyOf(needRestart);
        // Unmodifiable views, not copies: the order is the one the log lines give.
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
        checkers = Collections.unmodifiableMap(new LinkedHashMap<>(checkers));
    }

    /** The decision of replacing {@code running} with {@code asked}. */
    public static ReloadDecision of(StevedoreConfig running, StevedoreConfig asked) {
        ServerConfig listening = running.server();
        ServerConfig wants = asked.server();
        List<String> needRestart = new ArrayList<>();
        unchanged(needRestart, "Server.ListenAddr", Addresses.format(listening.listenAddr()),
                Addresses.format(wants.listenAddr()));
        unchanged(needRestart, "Server.ListenParallel", listening.listenParallel(), wants.listenParallel());
        unchanged(needRestart, "Server.BatchSize", listening.batchSize(), wants.batchSize());
        unchanged(needRestart, "Server.BufSize", listening.bufSize(), wants.bufSize());
        unchanged(needRestart, "Server.RecvBufBytes", listening.recvBufBytes(), wants.recvBufBytes());
        unchanged(needRestart, "Server.FloodRecvBufBytes", listening.floodRecvBufBytes(), wants.floodRecvBufBytes());
        unchanged(needRestart, "Server.AdaptiveBatch", listening.adaptiveBatch(), wants.adaptiveBatch());
        ServerConfig server = new ServerConfig(listening.listenAddr(), listening.listenParallel(),
                listening.batchSize(), listening.bufSize(), wants.maxTryTimes(), wants.proxyProtocolFrom(),
                listening.recvBufBytes(), listening.floodRecvBufBytes(), listening.adaptiveBatch());
        StevedoreConfig applied = new StevedoreConfig(server, asked.session(), asked.upload(), running.log(),
                running.admin());

        Set<PeerKey> before = peerKeys(running.upload().upstreams());
        Set<PeerKey> after = peerKeys(asked.upload().upstreams());
        Map<PeerKey, Change> peers = new LinkedHashMap<>();
        before.forEach(peer -> peers.put(peer, after.contains(peer) ? Change.KEPT : Change.RETIRED));
        after.forEach(peer -> peers.putIfAbsent(peer, Change.ADDED));

        Map<String, Checker> checkers = new LinkedHashMap<>();
        Map<String, Probes> checkedBefore = checkers(running.upload().upstreams());
        Map<String, Probes> checkedAfter = checkers(asked.upload().upstreams());
        checkedBefore.forEach((name, checker) -> {
            if (!checkedAfter.containsKey(name)) {
                checkers.put(name, Checker.STOPPED);
            }
        });
        checkedAfter.forEach((name, checker) -> {
            Probes previous = checkedBefore.get(name);
            checkers.put(name, previous == null ? Checker.STARTED
                    : previous.equals(checker) ? Checker.KEPT : Checker.RESTARTED);
        });

        boolean ipv6Came = !anyPeer(running, true) && anyPeer(asked, true);
        boolean ipv4ForIpv6Sources = anyPeer(asked, false)
                && running.session().sourceAddrs().stream().anyMatch(source -> source instanceof Inet6Address);
        SessionConfig was = running.session();
        SessionConfig will = asked.session();
        return new ReloadDecision(applied, needRestart, peers, checkers, ipv6Came || ipv4ForIpv6Sources,
                was.maxSessions() != will.maxSessions() || was.sourceAddrs().size() != will.sourceAddrs().size(),
                !was.sourceAddrs().equals(will.sourceAddrs()));
    }

    /** The peers this decision gives {@code change}, in order. */
    public List<PeerKey> peers(Change change) {
        return peers.entrySet().stream().filter(e -> e.getValue() == change).map(Map.Entry::getKey).toList();
    }

    /** The upstreams whose probes this decision gives {@code checker}, in order. */
    public Set<String> checkers(Checker checker) {
        Set<String> names = new LinkedHashSet<>();
        checkers.forEach((name, what) -> {
            if (what == checker) {
                names.add(name);
            }
        });
        return names;
    }

    private static void unchanged(List<String> needRestart, String key, Object running, Object asked) {
        if (!running.equals(asked)) {
            needRestart.add(key + " changed from " + running + " to " + asked
                    + ": the listening sockets keep " + running + " until a restart");
        }
    }

    private static Set<PeerKey> peerKeys(List<UpstreamConfig> upstreams) {
        Set<PeerKey> keys = new LinkedHashSet<>();
        for (UpstreamConfig upstream : upstreams) {
            for (PeerConfig peer : upstream.peers()) {
                keys.add(new PeerKey(upstream.name(), peer.address()));
            }
        }
        return keys;
    }

    /** What an upstream's probes send: a change to either restarts them. */
    private record Probes(HealthCheckConfig checker, boolean proxyProtocol) {
    }

    private static Map<String, Probes> checkers(List<UpstreamConfig> upstreams) {
        Map<String, Probes> checked = new LinkedHashMap<>();
        upstreams.forEach(u -> u.healthChecker().ifPresent(checker ->
                checked.put(u.name(), new Probes(checker, u.proxyProtocol()))));
        return checked;
    }

    private static boolean anyPeer(StevedoreConfig config, boolean ipv6) {
        for (UpstreamConfig upstream : config.upload().upstreams()) {
            for (PeerConfig peer : upstream.peers()) {
                InetAddress ip = peer.address().getAddress();
                if (ip instanceof Inet6Address == ipv6) {
                    return true;
                }
            }
        }
        return false;
    }
}
