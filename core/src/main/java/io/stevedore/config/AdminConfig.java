package io.stevedore.config;

import java.net.InetSocketAddress;

/** The {@code Admin} section (or {@code PProf.ServerAddr} when it is absent). */
public record AdminConfig(InetSocketAddress listenAddr) {
}
