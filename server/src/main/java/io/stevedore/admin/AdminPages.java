package io.stevedore.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * What each path of the admin endpoint answers: {@code /} (the status page), {@code /metrics}, {@code /status}, {@code /sessions},
 * {@code /healthz},
 * 404 elsewhere. Only GET and HEAD of a request without a body are served; nothing here reads a
 * body, so one that comes is refused rather than buffered.
 */
final class AdminPages {

    /** The page {@code GET /} serves: self-contained, it draws itself from {@code /status}. */
    private static final byte[] STATUS_PAGE = page();

    private final Observed observed;
    private final MetricsExposition metrics;
    private final SessionsPage sessions;

    /** {@code admin} is the admin thread, the only one that calls {@link #reply}. */
    AdminPages(Observed observed, Executor admin) {
        this.observed = observed;
        this.metrics = new MetricsExposition(PrometheusMetrics.registry(observed));
        this.sessions = new SessionsPage(observed.daemon(), admin);
    }

    private static byte[] page() {
        try (InputStream in = AdminPages.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the request announces a body, which the connection would have to read past. */
    static boolean hasBody(HttpRequest request) {
        return HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request);
    }

    /** The answer to {@code request}: at once, but for {@code /sessions}, which the event loops answer later. */
    CompletableFuture<Reply> reply(HttpRequest request) throws IOException {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (uri.path().equals("/sessions") && servable(request) == null) {
            return sessions.render(uri.parameters());
        }
        return CompletableFuture.completedFuture(now(request, uri));
    }

    /** Why {@code request} is refused whatever its path, or null. */
    private static Reply servable(HttpRequest request) {
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return Reply.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed; use GET\n")
                    .with(HttpHeaderNames.ALLOW.toString(), "GET, HEAD");
        }
        if (hasBody(request)) {
            return Reply.text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "a request body is not accepted here\n");
        }
        return null;
    }

    private Reply now(HttpRequest request, QueryStringDecoder uri) throws IOException {
        Reply refused = servable(request);
        if (refused != null) {
            return refused;
        }
        return switch (uri.path()) {
            case "/metrics" -> metrics.render(request);
            case "/status" -> Reply.of(HttpResponseStatus.OK, "application/json",
                    StatusReport.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(StatusReport.of(observed)));
            case "/" -> Reply.of(HttpResponseStatus.OK, "text/html; charset=utf-8", STATUS_PAGE);
            case "/healthz" -> observed.daemon().isListening() ? Reply.text(HttpResponseStatus.OK, "ok\n")
                    : Reply.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not listening\n");
            default -> Reply.text(HttpResponseStatus.NOT_FOUND, "not found; try /, /metrics, /status, /sessions or /healthz\n");
        };
    }
}
