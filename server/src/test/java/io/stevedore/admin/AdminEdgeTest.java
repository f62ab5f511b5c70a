package io.stevedore.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stevedore.config.ConfigLoader;
import io.stevedore.control.ControlPlane;
import io.stevedore.control.ProbeTotals;
import io.stevedore.testing.NettyLeakCheck;
import io.stevedore.testing.Poll;
import io.stevedore.transport.Daemon;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint against clients that misbehave, over real sockets: idle and trickling
 * connections, oversize request lines and headers, bodies, other methods, more connections than
 * allowed. Requests are written by hand so that each byte on the wire is the test's choice.
 */
@ExtendWith(NettyLeakCheck.class)
class AdminEdgeTest {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);
    private static final String HEALTHZ = "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n";
    /** A read timeout short enough to wait out, long enough that a loaded machine answers within it. */
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(400);

    private static Daemon daemon;
    private static Observed observed;

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = ControlPlane.startDataPlane(ConfigLoader.parse("""
                {
                  "Server": {"ListenAddr": "127.0.0.1:0", "ListenParallel": 1},
                  "Upload": {"DefaultUpstream": "pool",
                             "Upstreams": [{"Name": "pool", "Type": "rr", "Peers": [{"IP": "127.0.0.2", "Port": 4001}]}]}
                }
                """).config());
        observed = new Observed(daemon, new ProbeTotals(), new Reloads(Instant.now()), "test");
    }

    @AfterAll
    static void stopDaemon() {
        daemon.close();
    }

    @Test
    void healthzAnswersWithin100msWhile200ConnectionsSitIdleHalfWayThroughARequestLine() throws Exception {
        List<Socket> idle = new ArrayList<>();
        AdminServer admin = AdminServer.start(ANY_PORT, observed);
        try {
            for (int i = 0; i < 200; i++) {
                Socket socket = connect(admin);
                idle.add(socket);
                write(socket, "GET /heal");
            }
            Poll.equal("admin connections open", 200, admin::openConnections);
            assertThat(request(admin, HEALTHZ).status()).as("a first request, loading classes").isEqualTo(200);
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                Response healthz = request(admin, HEALTHZ);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(healthz.status()).isEqualTo(200);
                assertThat(healthz.text()).isEqualTo("ok\n");
                assertThat(millis).as("/healthz #%d, connection included, in ms", i).isLessThan(100);
            }
            Poll.equal("admin connections open once the requests' own have closed", 200, admin::openConnections);

            long start = System.nanoTime();
            admin.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("closing with 200 connections open")
                    .isLessThan(Duration.ofSeconds(1));
            assertThat(idle.get(0).getInputStream().read()).as("an idle connection after the close").isEqualTo(-1);
        } finally {
            admin.close();
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    @Test
    void silentTricklingAndKeptAliveConnectionsAreClosedAfterTheReadTimeout() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed, SHORT_TIMEOUT, 1024)) {
            try (Socket silent = connect(admin)) {
                long start = System.nanoTime();
                assertThat(silent.getInputStream().read()).as("the server closed it without a word").isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(SHORT_TIMEOUT.minusMillis(50));
            }

            try (Socket halfway = connect(admin)) {
                write(halfway, "GET /heal");
                long start = System.nanoTime();
                Response response = read(halfway, false);
                assertThat(response.status()).as("a request begun and never finished").isEqualTo(408);
                assertThat(response.headers()).containsEntry("connection", "close");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(SHORT_TIMEOUT.minusMillis(50));
                assertThat(halfway.getInputStream().read()).as("then closed").isEqualTo(-1);
            }

            try (Socket trickling = connect(admin)) {
                // One header byte every 50 ms, well within any idle timeout, never a whole request.
                trickling.setSoTimeout(50);
                write(trickling, "GET /healthz HTTP/1.1\r\nX-Slow: ");
                long start = System.nanoTime();
                boolean closed = false;
                while (!closed && System.nanoTime() - start < Duration.ofSeconds(5).toNanos()) {
                    try {
                        closed = trickling.getInputStream().read() == -1;
                    } catch (SocketTimeoutException e) {
                        write(trickling, "a");
                    } catch (SocketException e) {
                        // A byte that crossed the server's close is answered by a reset: closed all the same.
                        closed = true;
                    }
                }
                assertThat(closed).as("the trickling connection was closed").isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(SHORT_TIMEOUT.minusMillis(50));
            }

            try (Socket keptAlive = connect(admin)) {
                write(keptAlive, HEALTHZ);
                assertThat(read(keptAlive, false).status()).isEqualTo(200);
                assertThat(keptAlive.getInputStream().read()).as("closed once idle after its answer").isEqualTo(-1);
            }
            Poll.equal("admin connections open", 0, admin::openConnections);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInTheirOrderWhenSessionsAreListedByTheEventLoops() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed); Socket socket = connect(admin)) {
            write(socket, "GET /sessions HTTP/1.1\r\nHost: admin\r\n\r\n" + HEALTHZ
                    + "GET /sessions?limit=0 HTTP/1.1\r\nHost: admin\r\n\r\n" + HEALTHZ);
            Response sessions = read(socket, false);
            assertThat(sessions.status()).isEqualTo(200);
            assertThat(sessions.text()).contains("\"sessions\"");
            assertThat(read(socket, false).text()).isEqualTo("ok\n");
            assertThat(read(socket, false).status()).as("a bad limit").isEqualTo(400);
            assertThat(read(socket, false).text()).isEqualTo("ok\n");
        }
    }

    @Test
    void aClientPipeliningMoreRequestsThanItReadsLosesItsConnection() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed); Socket socket = connect(admin)) {
            write(socket, "GET /sessions HTTP/1.1\r\nHost: admin\r\n\r\n".repeat(AdminExchange.MAX_WAITING * 8));
            int answers = 0;
            try {
                while (true) {
                    read(socket, false);
                    answers++;
                }
            } catch (IOException e) {
                // The connection ended: what the test waits for.
            }
            assertThat(answers).as("answers before the connection ended").isLessThan(AdminExchange.MAX_WAITING * 8);
            Poll.equal("admin connections open", 0, admin::openConnections);
        }
    }

    @Test
    void aRequestLineOver8KiBGets414AndTheConnectionEnds() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed); Socket socket = connect(admin)) {
            write(socket, "GET /" + "a".repeat(9 * 1024) + " HTTP/1.1\r\nHost: admin\r\n\r\n");
            Response response = read(socket, false);
            assertThat(response.status()).isEqualTo(414);
            assertThat(response.headers()).containsEntry("connection", "close");
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void aOneMegabyteHeaderGets431NotAReset() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed); Socket socket = connect(admin)) {
            write(socket, "GET /healthz HTTP/1.1\r\nHost: admin\r\nX-Big: " + "b".repeat(1 << 20) + "\r\n\r\n");
            Response response = read(socket, false);
            assertThat(response.status()).isEqualTo(431);
            assertThat(response.text()).isEqualTo("headers larger than 16384 bytes\n");
            assertThat(socket.getInputStream().read()).as("an orderly end, not a reset").isEqualTo(-1);
        }
    }

    @Test
    void methodsOtherThanGetAndHeadGet405WithAllow() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed)) {
            for (String method : List.of("POST", "PUT", "DELETE")) {
                Response response = request(admin, method + " /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
                assertThat(response.status()).as(method).isEqualTo(405);
                assertThat(response.headers()).containsEntry("allow", "GET, HEAD");
            }
            try (Socket socket = connect(admin)) {
                write(socket, "POST /status HTTP/1.1\r\nHost: admin\r\nContent-Length: 5\r\n\r\nhello");
                assertThat(read(socket, false).status()).isEqualTo(405);
                assertThat(socket.getInputStream().read()).as("a body is never read: the connection ends")
                        .isEqualTo(-1);
            }
        }
    }

    @Test
    void aRequestBodyGets413AndTheConnectionEnds() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed)) {
            for (String framing : List.of("Content-Length: 5\r\n\r\nhello", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")) {
                try (Socket socket = connect(admin)) {
                    write(socket, "GET /healthz HTTP/1.1\r\nHost: admin\r\n" + framing);
                    assertThat(read(socket, false).status()).as(framing).isEqualTo(413);
                    assertThat(socket.getInputStream().read()).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void oneConnectionCarriesHeadGetAndMalformedRequestsInTurn() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed); Socket socket = connect(admin)) {
            write(socket, "HEAD /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
            Response head = read(socket, true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.headers()).containsEntry("content-length", "3");
            write(socket, "HEAD /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(Integer.parseInt(read(socket, true).headers().get("content-length"))).isPositive();
            write(socket, HEALTHZ);
            assertThat(read(socket, false).text()).as("the bytes after a HEAD answer are the next answer's")
                    .isEqualTo("ok\n");
            write(socket, "GET /nothing-here HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(read(socket, false).status()).isEqualTo(404);
            write(socket, "GET /healthz SPDY/99 extra\r\n\r\n");
            assertThat(read(socket, false).status()).isEqualTo(400);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnceWithOneWarning() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AdminServer.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.setContext(logger.getLoggerContext());
        logged.start();
        logger.addAppender(logged);
        List<Socket> held = new ArrayList<>();
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed, AdminServer.READ_TIMEOUT, 3)) {
            for (int i = 0; i < 3; i++) {
                held.add(connect(admin));
                write(held.get(i), "GET /");
            }
            Poll.equal("admin connections open", 3, admin::openConnections);
            for (int i = 0; i < 4; i++) {
                // Nothing written: a closed connection with unread bytes would end in a reset instead.
                try (Socket refused = connect(admin)) {
                    assertThat(refused.getInputStream().read()).as("connection %d past the cap", i).isEqualTo(-1);
                }
            }
            List<String> warnings = logged.list.stream().filter(event -> event.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(warnings).containsExactly(
                    "admin endpoint at its limit of 3 connections: refused 1 new connection(s) since the last such line");

            held.remove(0).close();
            Poll.equal("admin connections open", 2, admin::openConnections);
            assertThat(request(admin, HEALTHZ).status()).as("served again below the cap").isEqualTo(200);
        } finally {
            logger.detachAppender(logged);
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void metricsFollowAcceptAcceptEncodingAndNameAsTheExporterDid() throws Exception {
        try (AdminServer admin = AdminServer.start(ANY_PORT, observed)) {
            Response plain = request(admin, "GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(plain.headers().get("content-type")).startsWith("text/plain; version=0.0.4");
            assertThat(plain.text()).contains("# TYPE stevedore_sessions gauge\n");

            Response openMetrics = request(admin, "GET /metrics HTTP/1.1\r\nHost: admin\r\n"
                    + "Accept: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n\r\n");
            assertThat(openMetrics.headers().get("content-type")).startsWith("application/openmetrics-text");
            assertThat(openMetrics.text()).endsWith("# EOF\n");

            Response gzipped = request(admin, "GET /metrics HTTP/1.1\r\nHost: admin\r\nAccept-Encoding: gzip, br\r\n\r\n");
            assertThat(gzipped.headers()).containsEntry("content-encoding", "gzip");
            try (InputStream unzipped = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
                assertThat(new String(unzipped.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(plain.text());
            }

            Response named = request(admin, "GET /metrics?name[]=stevedore_sessions_max HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(named.text()).contains("stevedore_sessions_max ").doesNotContain("stevedore_peer_up");
        }
    }

    private record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static Socket connect(AdminServer admin) throws IOException {
        Socket socket = new Socket();
        socket.connect(admin.address(), 3000);
        socket.setSoTimeout(5000);
        return socket;
    }

    private static void write(Socket socket, String bytes) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** One request on a connection of its own. */
    private static Response request(AdminServer admin, String request) throws IOException {
        try (Socket socket = connect(admin)) {
            write(socket, request);
            return read(socket, request.startsWith("HEAD "));
        }
    }

    /** One response: its head, then as many body bytes as its Content-Length says, none after HEAD. */
    private static Response read(Socket socket, boolean head) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        while (!lines.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection ended within a response head: " + lines);
            }
            lines.write(b);
        }
        String[] text = lines.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < text.length; i++) {
            int colon = text[i].indexOf(':');
            headers.put(text[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), text[i].substring(colon + 1).trim());
        }
        int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Response(Integer.parseInt(text[0].split(" ")[1]), headers, in.readNBytes(length));
    }
}
