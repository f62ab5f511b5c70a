package io.stevedore.routing;

import io.netty.buffer.ByteBuf;
import io.stevedore.config.RouteConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code Upload.Routes} and {@code Upload.DefaultUpstream} compiled once per config load into
 * matchers that read a datagram in place: the routing decision is a pure function of the
 * datagram's readable bytes, costs a few word comparisons per route and allocates nothing.
 * Immutable, so every event loop shares one instance.
 */
public final class RouteTable {

    /** No route matched and the default names no upstream, or the matching route names none: drop. */
    public static final int NO_ROUTE = -1;

    private final FieldMatcher[] matchers;
    private final int[] upstreams;
    private final int defaultUpstream;
    /** The routes as written, for {@link #trace}; never read on the data path. */
    private final List<RouteConfig> routes;

    private RouteTable(FieldMatcher[] matchers, int[] upstreams, int defaultUpstream, List<RouteConfig> routes) {
        this.matchers = matchers;
        this.upstreams = upstreams;
        this.defaultUpstream = defaultUpstream;
        this.routes = routes;
    }

    /**
     * Upstreams are numbered by their position in {@code upload.upstreams()}. A route or default
     * naming no existing upstream compiles to {@link #NO_ROUTE} (drop).
     */
    public static RouteTable compile(UploadConfig upload) {
        Map<String, Integer> indexByName = new HashMap<>();
        List<UpstreamConfig> upstreamConfigs = upload.upstreams();
        for (int i = 0; i < upstreamConfigs.size(); i++) {
            indexByName.putIfAbsent(upstreamConfigs.get(i).name(), i);
        }
        List<RouteConfig> routes = upload.routes();
        FieldMatcher[] matchers = new FieldMatcher[routes.size()];
        int[] upstreams = new int[routes.size()];
        for (int i = 0; i < routes.size(); i++) {
            RouteConfig route = routes.get(i);
            matchers[i] = new FieldMatcher(route.keyBytes(), route.operator(), route.value());
            upstreams[i] = indexByName.getOrDefault(route.upstream(), NO_ROUTE);
        }
        int defaultUpstream = upload.defaultUpstream() == null
                ? NO_ROUTE
                : indexByName.getOrDefault(upload.defaultUpstream(), NO_ROUTE);
        return new RouteTable(matchers, upstreams, defaultUpstream, List.copyOf(routes));
    }

    /**
     * The upstream index for the datagram's readable bytes {@code [readerIndex, writerIndex)}, or
     * {@link #NO_ROUTE}. The first matching route wins; a datagram shorter than a route's
     * {@code KeyBytes.end} does not match that route. Never allocates; does not move the indices.
     */
    public int route(ByteBuf datagram) {
        int base = datagram.readerIndex();
        int readable = datagram.writerIndex() - base;
        FieldMatcher[] ms = matchers;
        for (int i = 0; i < ms.length; i++) {
            if (ms[i].matches(datagram, base, readable)) {
                return upstreams[i];
            }
        }
        return defaultUpstream;
    }

    /** One route tried by {@link #trace}: the datagram's bytes at its {@code KeyBytes} (null: too short) and the result. */
    public record Trial(int index, RouteConfig route, byte[] bytes, boolean matched) {
    }

    /**
     * How {@link #route} decides for this datagram, route by route: the routes tried, in order, up
     * to the first that matches, and the upstream index it returns. For explaining a decision to an
     * operator, off the data path: it allocates.
     */
    public List<Trial> trace(ByteBuf datagram) {
        int base = datagram.readerIndex();
        int readable = datagram.writerIndex() - base;
        List<Trial> trials = new ArrayList<>();
        for (int i = 0; i < matchers.length; i++) {
            RouteConfig route = routes.get(i);
            byte[] bytes = null;
            if (readable >= route.keyBytes().end()) {
                bytes = new byte[route.keyBytes().length()];
                datagram.getBytes(base + route.keyBytes().start(), bytes);
            }
            boolean matched = matchers[i].matches(datagram, base, readable);
            trials.add(new Trial(i, route, bytes, matched));
            if (matched) {
                break;
            }
        }
        return trials;
    }

    /** Number of compiled routes (the default is not one of them). */
    public int routeCount() {
        return matchers.length;
    }
}
