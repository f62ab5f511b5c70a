package io.stevedore.dryrun;

import io.stevedore.metrics.DropReason;
import io.stevedore.routing.RouteTable;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A {@link DryRun}'s answer. {@code route} is the index of the matching route as a string, or
 * {@code "default"}, or null when the datagram never reached the routes; {@code peer} is
 * {@code "ip:port"} or null; {@code drop} is the drop reason's metric label or null. Neither a
 * peer nor a drop: the peer depends on the client's address, which was not given ({@code why}).
 */
public record Decision(int size, InetSocketAddress from, List<RouteTable.Trial> trials, String route,
        String upstream, String balancing, byte[] key, String peer, boolean backup, String drop, String why) {

    static final class Builder {
        private final int size;
        private final InetSocketAddress from;
        private List<RouteTable.Trial> trials = List.of();
        private String route;
        private String upstream;
        private String balancing;
        private byte[] key;

        Builder(int size, InetSocketAddress from) {
            this.size = size;
            this.from = from;
        }

        void trials(List<RouteTable.Trial> trials) {
            this.trials = List.copyOf(trials);
        }

        void route(String route) {
            this.route = route;
        }

        void upstream(String upstream) {
            this.upstream = upstream;
        }

        void key(byte[] key, String balancing) {
            this.key = key;
            this.balancing = balancing;
        }

        Decision drop(DropReason reason, String why) {
            return new Decision(size, from, trials, route, upstream, balancing, key, null, false, reason.label(), why);
        }

        Decision undecided(String why) {
            return new Decision(size, from, trials, route, upstream, balancing, key, null, false, null, why);
        }

        Decision peer(String peer, boolean backup) {
            return new Decision(size, from, trials, route, upstream, balancing, key, peer, backup, null, null);
        }
    }
}
