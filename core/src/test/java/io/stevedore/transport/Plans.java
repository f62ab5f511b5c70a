package io.stevedore.transport;

import io.netty.channel.embedded.EmbeddedChannel;
import io.stevedore.balancing.Upstream;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UpstreamConfig;
import io.stevedore.metrics.Counters;
import io.stevedore.session.Session;
import io.stevedore.session.SessionLimit;
import io.stevedore.session.SessionTable;
import java.net.InetSocketAddress;
import java.util.List;

/** Forwarding plans and sessions built as a daemon builds them, without a daemon. */
final class Plans {

    private Plans() {
    }

    /** The plan the daemon would run on {@code config} after {@code previous} (null: at start). */
    static Forwarding plan(StevedoreConfig config, Counters counters, Forwarding previous, long nowNanos) {
        List<Upstream> upstreams = config.upload().upstreams().stream().map(Upstream::of).toList();
        List<UpstreamConfig> configs = config.upload().upstreams();
        return new Forwarding(config, upstreams, counters.assign(configs), counters.slotCount(), previous, nowNanos);
    }

    /** A session of {@code client} as loop 0 of {@code counters} opens it under {@code plan}, on a socket that is not one. */
    static Session session(Forwarding plan, Counters counters, InetSocketAddress client) throws Exception {
        SessionTable table = new SessionTable(new SessionLimit(10), Runnable::run, counters.loop(0), 30,
                plan.anyKeptPeer ? plan.upstreams.length : 0, SessionCarryOver.latchSlots(plan));
        return table.open(client, 0, s -> new EmbeddedChannel());
    }
}
