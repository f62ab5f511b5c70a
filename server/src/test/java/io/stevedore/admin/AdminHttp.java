package io.stevedore.admin;

import io.stevedore.config.Addresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The admin endpoint over HTTP, as the run-mode and admin tests read it. */
public final class AdminHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private AdminHttp() {
    }

    public static HttpResponse<String> get(InetSocketAddress admin, String path) throws IOException, InterruptedException {
        return send(admin, path, "GET");
    }

    public static HttpResponse<String> send(InetSocketAddress admin, String path, String method)
            throws IOException, InterruptedException {
        URI uri = URI.create("http://" + Addresses.format(admin) + path);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The value of one sample in a Prometheus text exposition, e.g.
     * {@code sample(body, "stevedore_sessions")} or with its labels as written (sorted by name):
     * {@code sample(body, "stevedore_dropped_datagrams_total{reason=\"no_route\"}")}; NaN if absent.
     */
    public static double sample(String exposition, String series) {
        return exposition.lines()
                .filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
                .findFirst().orElse(Double.NaN);
    }
}
