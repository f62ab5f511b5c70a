package io.stevedore.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.stevedore.metrics.PeerKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint: {@code /metrics} (Prometheus text format, or what the scraper asks
 * for), {@code /status} (JSON) and {@code /healthz} (200 while every listening socket is open,
 * else 503). One thread of its own serves it; nothing it does reaches the data-plane loops
 * except reading their counters.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds {@code address} and starts serving.
     *
     * @throws IOException when the address cannot be bound; the message says why in an operator's words
     */
    public static AdminServer start(InetSocketAddress address, Observed observed) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new IOException("cannot serve the admin endpoint on " + PeerKey.format(address) + ": "
                    + reason(e), e);
        }
        MetricsHandler metrics = new MetricsHandler(PrometheusMetrics.registry(observed));
        server.createContext("/", exchange -> {
            try (exchange) {
                route(exchange, observed, metrics);
            } catch (IOException | RuntimeException e) {
                log.debug("admin request {} failed", exchange.getRequestURI(), e);
            }
        });
        ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "stevedore-admin");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        return new AdminServer(server, executor);
    }

    private static String reason(BindException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (message.contains("already in use")) {
            return "address already in use";
        }
        if (message.contains("cannot assign")) {
            return "not an address of this host";
        }
        if (message.contains("permission denied")) {
            return "permission denied (ports below 1024 need privileges)";
        }
        return e.getMessage();
    }

    private static void route(HttpExchange exchange, Observed observed, MetricsHandler metrics) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            text(exchange, 405, "method not allowed; use GET\n");
            return;
        }
        switch (exchange.getRequestURI().getPath()) {
            case "/metrics" -> metrics.handle(exchange);
            case "/status" -> {
                byte[] body = StatusReport.JSON.writerWithDefaultPrettyPrinter()
                        .writeValueAsBytes(StatusReport.of(observed));
                send(exchange, 200, "application/json", body);
            }
            case "/healthz" -> {
                boolean listening = observed.daemon().isListening();
                text(exchange, listening ? 200 : 503, listening ? "ok\n" : "not listening\n");
            }
            default -> text(exchange, 404, "not found; try /metrics, /status or /healthz\n");
        }
    }

    private static void text(HttpExchange exchange, int status, String body) throws IOException {
        send(exchange, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The bound address (with its port, when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving; a request in progress is cut. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
