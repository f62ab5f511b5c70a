package io.stevedore.config;

import io.stevedore.discovery.RecordType;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * {@code Upstream.Resolve}: peers named by DNS records, asked for again every {@code intervalSec}
 * (or the records' TTL when shorter). {@code port} is the A and AAAA peers' port, 0 for SRV, whose
 * records carry their own; {@code servers} empty means the system's resolvers.
 */
public record ResolveConfig(String name, RecordType type, int port, List<InetSocketAddress> servers, int intervalSec) {

    static final Keys KEYS = new Keys();
    static final String NAME = KEYS.key("Name");
    static final String TYPE = KEYS.key("Type");
    /** Required for A and AAAA: the binder reads it only when present, so its default is never used. */
    static final IntKey PORT = KEYS.integer("Port", 0, 1, 65535, "a port");
    static final String SERVERS = KEYS.key("Servers");
    /** At most a day: a name asked for less often is better written into the file. */
    public static final IntKey INTERVAL_SEC = KEYS.integer("IntervalSec", 30, 1, 86_400);

    public ResolveConfig {
        servers = List.copyOf(servers);
    }

    /** How a peer this resolution found is shown in {@code /status}: the record type and the name. */
    public String origin() {
        return type + " " + name;
    }
}
