package io.stevedore.config;

import java.net.InetSocketAddress;

/** The {@code Admin} section (or {@code PProf.ServerAddr} when it is absent). */
public record AdminConfig(InetSocketAddress listenAddr) {

    static final Keys KEYS = new Keys();
    static final String LISTEN_ADDR = KEYS.key("ListenAddr");

    /** The Go original's profiler section, whose address serves the admin endpoint when Admin is absent. */
    static final Keys PPROF_KEYS = new Keys();
    static final BoolKey PPROF_OPEN = PPROF_KEYS.bool("Open", true);
    static final String PPROF_SERVER_ADDR = PPROF_KEYS.key("ServerAddr");
}
