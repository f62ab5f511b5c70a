package io.stevedore.admin;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * What the run-mode and admin tests need on loopback: peers that echo, a client of the daemon, the
 * admin endpoint over HTTP, and waiting for a condition up to a deadline (never a fixed sleep).
 */
public final class Loopback {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private Loopback() {
    }

    /** A peer that answers every datagram with its id byte followed by the datagram. */
    public static final class Echo implements AutoCloseable {

        private final int id;
        private final DatagramSocket socket;
        private final AtomicLong received = new AtomicLong();

        private Echo(int id, DatagramSocket socket) {
            this.id = id;
            this.socket = socket;
        }

        /** Binds {@code ip} on an ephemeral port and starts answering. */
        public static Echo start(String ip, int id) throws IOException {
            Echo echo = new Echo(id, new DatagramSocket(new InetSocketAddress(ip, 0)));
            Thread thread = new Thread(echo::serve, "echo-" + id);
            thread.setDaemon(true);
            thread.start();
            return echo;
        }

        private void serve() {
            byte[] in = new byte[65536];
            byte[] out = new byte[65537];
            DatagramPacket packet = new DatagramPacket(in, in.length);
            try {
                while (true) {
                    packet.setData(in);
                    socket.receive(packet);
                    received.incrementAndGet();
                    out[0] = (byte) id;
                    System.arraycopy(in, 0, out, 1, packet.getLength());
                    socket.send(new DatagramPacket(out, packet.getLength() + 1, packet.getSocketAddress()));
                }
            } catch (SocketException e) {
                // closed
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        /** {@code ip:port}, as a configuration file and the metrics write it. */
        public String hostPort() {
            return address().getHostString() + ":" + address().getPort();
        }

        public long received() {
            return received.get();
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /** A client of the daemon on its own socket (so its own session). */
    public static final class Client implements AutoCloseable {

        private final DatagramSocket socket;
        private final InetSocketAddress daemon;

        public Client(InetSocketAddress daemon) throws IOException {
            this.daemon = daemon;
            this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        }

        public void send(byte[] payload) throws IOException {
            socket.send(new DatagramPacket(payload, payload.length, daemon));
        }

        /** Sends {@code payload} and returns the id of the peer that echoed it. */
        public int request(byte[] payload) throws IOException {
            send(payload);
            byte[] buffer = new byte[65537];
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            socket.setSoTimeout(3000);
            try {
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                fail("no reply through " + daemon + " within 3 s");
            }
            return buffer[0];
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    public static HttpResponse<String> get(InetSocketAddress admin, String path) throws IOException, InterruptedException {
        return send(admin, path, "GET");
    }

    public static HttpResponse<String> send(InetSocketAddress admin, String path, String method)
            throws IOException, InterruptedException {
        URI uri = URI.create("http://" + admin.getHostString() + ":" + admin.getPort() + path);
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

    public static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after 10 s waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
