package io.stevedore.admin;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stevedore.balancing.Peer;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.Addresses;
import io.stevedore.config.BalanceType;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.CloseReason;
import io.stevedore.metrics.Counters;
import io.stevedore.metrics.DropReason;
import io.stevedore.metrics.LoopCounter;
import io.stevedore.metrics.PeerCounter;
import io.stevedore.metrics.PeerKey;
import io.stevedore.metrics.ResolveResult;
import io.stevedore.transport.Daemon;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * The {@code /status} document: what runs now (listeners, upstreams, peers with their state and
 * counters, sessions) in one JSON object an operator can read or a script can query. Its shape is
 * documented in docs/operations.md.
 */
final class StatusReport {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private StatusReport() {
    }

    static ObjectNode of(Observed observed) {
        Daemon daemon = observed.daemon();
        Counters counters = daemon.counters();
        ObjectNode root = JSON.createObjectNode();
        root.put("version", observed.version());
        root.put("transport", daemon.transport().name().toLowerCase(Locale.ROOT));
        root.put("listening", daemon.isListening());

        ArrayNode listeners = root.putArray("listeners");
        String listenAddr = Addresses.format(daemon.listenAddress());
        for (int i = 0; i < daemon.loops(); i++) {
            ObjectNode listener = listeners.addObject();
            listener.put("address", listenAddr);
            ArrayNode bound = listener.putArray("boundAddresses");
            for (InetSocketAddress address : daemon.listenAddresses(i)) {
                bound.add(Addresses.format(address));
            }
            for (LoopCounter counter : LoopCounter.values()) {
                if (counter.statusKey() != null) {
                    listener.put(counter.statusKey(), counters.loop(i, counter));
                }
                if (counter == LoopCounter.SESSIONS_CLOSED) {
                    // Live sessions, not a counter: written right after the two counts it is the difference of.
                    listener.put("sessions", counters.loop(i, LoopCounter.SESSIONS_OPENED) - counters.loop(i, counter));
                }
            }
            listener.put("overflow", counters.overflow(i));
        }

        ObjectNode sessions = root.putObject("sessions");
        sessions.put("live", daemon.sessionCount());
        sessions.put("max", daemon.maxSessions());
        sessions.put("unanswered", daemon.unansweredSessions());
        ObjectNode closed = sessions.putObject("closed");
        for (CloseReason reason : CloseReason.values()) {
            closed.put(reason.label(), counters.closed(reason));
        }
        sessions.put("accessLogDropped", daemon.sessionLog().dropped());

        ObjectNode dropped = root.putObject("dropped");
        for (DropReason reason : DropReason.values()) {
            dropped.put(reason.label(), counters.dropped(reason));
        }

        ObjectNode resolves = root.putObject("resolves");
        for (String upstream : observed.resolves().upstreams()) {
            ObjectNode counts = resolves.putObject(upstream);
            for (ResolveResult result : ResolveResult.values()) {
                counts.put(result.label(), observed.resolves().count(upstream, result));
            }
        }

        ArrayNode upstreams = root.putArray("upstreams");
        for (Upstream upstream : daemon.upstreams()) {
            UpstreamConfig config = upstream.config();
            ObjectNode node = upstreams.addObject();
            node.put("name", upstream.name());
            node.put("type", config.type().configName());
            node.put("affinity", config.affinity().name().toLowerCase(Locale.ROOT));
            node.put("latch", config.latch());
            node.put("healthChecked", config.healthChecker().isPresent());
            boolean maglev = config.type().maglev();
            if (maglev) {
                node.put("tableSize", config.tableSize());
            }
            // One snapshot for every peer, so the entries add up to the table size (or to 0 when none is up).
            int[] entries = upstream.tableEntriesPerPeer();
            ArrayNode peers = node.putArray("peers");
            for (Peer peer : upstream.peers()) {
                ObjectNode peerNode = peer(observed, counters, upstream, peer);
                if (maglev) {
                    peerNode.put("tableEntries", entries[peer.index()]);
                }
                peers.add(peerNode);
            }
        }

        ObjectNode reloads = root.putObject("reloads");
        reloads.put("ok", observed.reloads().ok());
        reloads.put("failed", observed.reloads().failed());
        reloads.put("configLoadedAt", observed.reloads().lastApplied().toString());
        return root;
    }

    private static ObjectNode peer(Observed observed, Counters counters, Upstream upstream, Peer peer) {
        PeerKey key = new PeerKey(upstream.name(), peer.address());
        ObjectNode node = JSON.createObjectNode();
        node.put("address", Addresses.format(peer.address()));
        // A peer's index is its position in the upstream's configuration.
        node.put("origin", upstream.config().peers().get(peer.index()).origin());
        node.put("state", upstream.isUp(peer.index()) ? "up" : "down");
        node.put("weight", peer.weight());
        node.put("backup", peer.backup());
        node.put("draining", peer.draining());
        boolean quic = upstream.config().type() == BalanceType.QUIC;
        for (PeerCounter counter : PeerCounter.values()) {
            if (counter.result() != null && !quic) {
                continue;
            }
            ObjectNode in = counter.direction() == null ? node : node.withObjectProperty(counter.direction());
            in.put(counter.statusKey(), counters.peer(key, counter));
        }
        if (upstream.config().healthChecker().isPresent()) {
            ObjectNode probes = node.putObject("probes");
            probes.put("success", observed.probes().count(key, true));
            probes.put("failure", observed.probes().count(key, false));
        }
        return node;
    }
}
