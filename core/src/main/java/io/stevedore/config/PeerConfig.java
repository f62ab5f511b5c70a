package io.stevedore.config;

import java.net.InetSocketAddress;

/**
 * One entry of {@code Upstream.Peers}. A draining peer ({@code Drain}) keeps the sessions that
 * have used it and gets no new one, so it can be taken out once they have idled out.
 */
public record PeerConfig(InetSocketAddress address, int weight, boolean backup, boolean drain) {

    static final Keys KEYS = new Keys();
    static final String IP = KEYS.key("IP");
    /** Required: the binder reads it only when present, so its default is never used. */
    static final IntKey PORT = KEYS.integer("Port", 0, 1, 65535, "a port");
    public static final IntKey WEIGHT = KEYS.integer("Weight", 1, 1, 65535);
    static final BoolKey BACKUP = KEYS.bool("Backup", false);
    static final BoolKey DRAIN = KEYS.bool("Drain", false);

    /** Smooth round robin and Maglev both divide by weight; the binder never passes less than 1. */
    public PeerConfig {
        if (weight < 1) {
            throw new IllegalArgumentException("peer " + address + ": weight must be >= 1, got " + weight);
        }
    }

    /** A peer that takes new sessions. */
    public PeerConfig(InetSocketAddress address, int weight, boolean backup) {
        this(address, weight, backup, false);
    }
}
