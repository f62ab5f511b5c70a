package io.stevedore.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One answer of the admin endpoint before it becomes HTTP: pages build it without knowing about
 * connections, and {@link AdminExchange} frames it (length, keep-alive, HEAD) the same way for all.
 */
record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {

    static final String TEXT = "text/plain; charset=utf-8";

    static Reply text(HttpResponseStatus status, String body) {
        return of(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
    }

    static Reply of(HttpResponseStatus status, String contentType, byte[] body) {
        return new Reply(status, contentType, body, Map.of());
    }

    Reply with(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Reply(status, contentType, body, Map.copyOf(more));
    }
}
