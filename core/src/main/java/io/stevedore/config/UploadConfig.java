package io.stevedore.config;

import java.util.List;

/**
 * The {@code Upload} section. {@code defaultUpstream} and each route's upstream may name no
 * upstream at all ({@code "deny"} is the idiom): such traffic is dropped.
 */
public record UploadConfig(String defaultUpstream, List<RouteConfig> routes, List<UpstreamConfig> upstreams) {

    static final Keys KEYS = new Keys();
    static final String DEFAULT_UPSTREAM = KEYS.key("DefaultUpstream");
    static final String ROUTES = KEYS.key("Routes");
    static final String UPSTREAMS = KEYS.key("Upstreams");

    public UploadConfig {
        routes = List.copyOf(routes);
        upstreams = List.copyOf(upstreams);
    }
}
