package io.stevedore.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.MetricNameFilter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * {@code /metrics} as the Prometheus client's own exporter answered it, so scrapers see no change:
 * the format follows {@code Accept} (Prometheus text by default, OpenMetrics or protobuf when
 * asked), the body is gzipped when {@code Accept-Encoding} allows, {@code name[]} selects metrics
 * and {@code debug=text|openmetrics|prometheus-protobuf} shows a format as plain text.
 */
final class MetricsExposition {

    private static final String DEBUG_FORMATS = "Valid values are 'openmetrics', 'text', and 'prometheus-protobuf'.";

    private final PrometheusRegistry registry;
    private final ExpositionFormats formats = ExpositionFormats.init();

    MetricsExposition(PrometheusRegistry registry) {
        this.registry = registry;
    }

    Reply render(HttpRequest request) throws IOException {
        Map<String, List<String>> query;
        try {
            query = new QueryStringDecoder(request.uri()).parameters();
        } catch (IllegalArgumentException e) {
            return Reply.text(HttpResponseStatus.BAD_REQUEST, "Invalid query parameters");
        }
        List<String> names = query.getOrDefault("name[]", List.of());
        MetricSnapshots snapshots = names.isEmpty() ? registry.scrape()
                : registry.scrape(MetricNameFilter.builder().nameMustBeEqualTo(names).build());
        String accept = request.headers().get(HttpHeaderNames.ACCEPT);
        EscapingScheme escaping = EscapingScheme.fromAcceptHeader(accept);
        List<String> debug = query.get("debug");
        if (debug != null) {
            return debug(debug.get(0), snapshots, escaping);
        }
        ExpositionFormatWriter writer = formats.findWriter(accept);
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        if (!acceptsGzip(request)) {
            writer.write(body, snapshots, escaping);
            return Reply.of(HttpResponseStatus.OK, writer.getContentType(), body.toByteArray());
        }
        try (OutputStream gzip = new GZIPOutputStream(body)) {
            writer.write(gzip, snapshots, escaping);
        }
        return Reply.of(HttpResponseStatus.OK, writer.getContentType(), body.toByteArray())
                .with(HttpHeaderNames.CONTENT_ENCODING.toString(), "gzip");
    }

    private Reply debug(String format, MetricSnapshots snapshots, EscapingScheme escaping) throws IOException {
        ExpositionFormatWriter writer = switch (format) {
            case "text" -> formats.getPrometheusTextFormatWriter();
            case "openmetrics" -> formats.getOpenMetricsTextFormatWriter();
            case "prometheus-protobuf" -> formats.getPrometheusProtobufWriter();
            default -> null;
        };
        if (writer == null || !writer.isAvailable()) {
            return Reply.text(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "debug=" + format + ": Unsupported query parameter. " + DEBUG_FORMATS);
        }
        if (format.equals("prometheus-protobuf")) {
            return Reply.text(HttpResponseStatus.OK, writer.toDebugString(snapshots, escaping));
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        writer.write(body, snapshots, escaping);
        return Reply.text(HttpResponseStatus.OK, body.toString(StandardCharsets.UTF_8));
    }

    private static boolean acceptsGzip(HttpRequest request) {
        for (String header : request.headers().getAll(HttpHeaderNames.ACCEPT_ENCODING)) {
            for (String encoding : header.split(",")) {
                if (encoding.trim().equalsIgnoreCase("gzip")) {
                    return true;
                }
            }
        }
        return false;
    }
}
