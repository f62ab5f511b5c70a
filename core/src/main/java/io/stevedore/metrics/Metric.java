package io.stevedore.metrics;

import java.util.List;

/**
 * Every metric of {@code /metrics}, each named once: Prometheus name (a counter's without its
 * {@code _total}), help and label names. The data plane's counters ({@link LoopCounter},
 * {@link PeerCounter}, {@link DropReason}, {@link CloseReason}) say which metric they feed, and
 * the admin endpoint registers each metric from this list, so the exposition never spells a
 * name or a help text of its own. docs/operations.md explains them to operators.
 */
public enum Metric {
    CLIENT_DATAGRAMS(Type.COUNTER, "stevedore_client_datagrams",
            "Datagrams received from clients, dropped ones included, per listening socket", "listener"),
    CLIENT_BYTES(Type.COUNTER, "stevedore_client_bytes",
            "Payload bytes received from clients, dropped datagrams included, per listening socket; a datagram "
                    + "over Server.BufSize counts as BufSize + 1 bytes, what is read of it", "listener"),
    LISTENER_ERRORS(Type.COUNTER, "stevedore_listener_errors",
            "Errors on a listening socket, mostly replies that could not be sent to their client", "listener"),
    SEGMENTED_SENDS(Type.COUNTER, "stevedore_segmented_sends",
            "Sends that carried several datagrams to one address as one buffer the kernel cuts into "
                    + "datagrams (UDP GSO), per listening socket's event loop", "listener"),
    SEGMENTED_DATAGRAMS(Type.COUNTER, "stevedore_segmented_datagrams",
            "Datagrams, to peers and to clients, that left in segmented sends", "listener"),
    SEGMENTED_REFUSED(Type.COUNTER, "stevedore_segmented_refused",
            "Segmented sends the kernel refused as a whole (e.g. a segment above the path MTU); "
                    + "their datagrams were sent again one by one", "listener"),
    PASSIVE_AMBIGUOUS(Type.COUNTER, "stevedore_passive_ambiguous",
            "ICMP unreachable reports on session sockets that had sent to more than one peer within the last "
                    + "second: no peer is marked down for them, per listening socket", "listener"),
    DROPPED_DATAGRAMS(Type.COUNTER, "stevedore_dropped_datagrams", "Datagrams not delivered, by reason", "reason"),
    LISTENER_OVERFLOWS(Type.COUNTER, "stevedore_listener_overflows",
            "Client datagrams the kernel dropped because a listening socket's receive buffer was full "
                    + "(the reason overflow of stevedore_dropped_datagrams_total), per listening socket", "listener"),
    LISTENER_SHRINKS(Type.COUNTER, "stevedore_listener_shrinks",
            "Times a listening socket's receive buffer shrank to Server.FloodRecvBufBytes because the kernel dropped "
                    + "datagrams at it; it gets Server.RecvBufBytes back after a second without drops", "listener"),
    SESSIONS_OPENED(Type.COUNTER, "stevedore_sessions_opened", "Client sessions opened, per listening socket",
            "listener"),
    SESSIONS_CLOSED(Type.COUNTER, "stevedore_sessions_closed",
            "Client sessions closed, by reason: idle, evicted (for a new client at MaxSessions), reload, "
                    + "shutdown, error (the socket closed under it)", "listener", "reason"),
    SESSIONS(Type.GAUGE, "stevedore_sessions", "Live client sessions"),
    SESSIONS_UNANSWERED(Type.GAUGE, "stevedore_sessions_unanswered",
            "Live client sessions no peer has answered yet: those a new client at MaxSessions may evict"),
    SESSIONS_MAX(Type.GAUGE, "stevedore_sessions_max", "Session.MaxSessions"),
    PEER_DATAGRAMS(Type.COUNTER, "stevedore_peer_datagrams",
            "Datagrams sent to a peer (direction upload) and relayed from it to clients (download)",
            "upstream", "peer", "direction"),
    PEER_BYTES(Type.COUNTER, "stevedore_peer_bytes",
            "Payload bytes sent to a peer (direction upload) and relayed from it to clients (download)",
            "upstream", "peer", "direction"),
    PEER_SEND_ERRORS(Type.COUNTER, "stevedore_peer_send_errors",
            "Sends to a peer that failed, at once or reported by ICMP; each also marks the peer down",
            "upstream", "peer"),
    PEER_SESSIONS(Type.GAUGE, "stevedore_peer_sessions",
            "Live client sessions that have sent to the peer; a draining peer serves these alone, and has drained "
                    + "at 0", "upstream", "peer"),
    QUIC_DATAGRAMS(Type.COUNTER, "stevedore_quic_datagrams",
            "Client datagrams sent on by a quic upstream: to the peer their connection ID's server ID names "
                    + "(result server_id), or, when it names no peer that is up, to the session's fallback peer "
                    + "(result fallback)", "upstream", "result"),
    PEER_UP(Type.GAUGE, "stevedore_peer_up", "1 while the peer is up, 0 while it is down", "upstream", "peer"),
    HEALTH_PROBES(Type.COUNTER, "stevedore_health_probes",
            "Active health-probe rounds by result, for upstreams with a HealthChecker", "upstream", "peer", "result"),
    CONFIG_RELOADS(Type.COUNTER, "stevedore_config_reloads", "Configuration reloads (SIGHUP) applied and rejected",
            "result"),
    CONFIG_LAST_RELOAD_SUCCESS(Type.GAUGE, "stevedore_config_last_reload_success_timestamp_seconds",
            "When the running configuration was read: at start or by the last reload applied"),
    ACCESS_LOG_DROPPED(Type.COUNTER, "stevedore_access_log_dropped",
            "Access-log records lost because the writer fell behind (its queue was full); the sessions were closed "
                    + "all the same"),
    RESOLVES(Type.COUNTER, "stevedore_resolve",
            "DNS resolutions of an upstream's Resolve name, by result: changed (the peers changed and were applied), "
                    + "unchanged, empty (no records: the last good peers stay), failed (no answer: they stay), rejected "
                    + "(more peers than TableSize: they stay)",
            "upstream", "result"),
    BUILD_INFO(Type.INFO, "stevedore_build_info", "The running build; the value is always 1",
            "version", "transport", "java");

    /** How Prometheus exposes the metric: a counter gains {@code _total}; an info metric is set once, always 1. */
    public enum Type { COUNTER, GAUGE, INFO }

    private final Type type;
    private final String prometheusName;
    private final String help;
    private final List<String> labels;

    Metric(Type type, String prometheusName, String help, String... labels) {
        this.type = type;
        this.prometheusName = prometheusName;
        this.help = help;
        this.labels = List.of(labels);
    }

    public Type type() {
        return type;
    }

    public String prometheusName() {
        return prometheusName;
    }

    public String help() {
        return help;
    }

    public List<String> labels() {
        return labels;
    }
}
