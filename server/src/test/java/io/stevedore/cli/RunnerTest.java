package io.stevedore.cli;

import static io.stevedore.admin.AdminHttp.get;
import static io.stevedore.admin.AdminHttp.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigLoader;
import io.stevedore.testing.Client;
import io.stevedore.testing.EchoBackend;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run mode in this JVM: start, reload from the file, stop; the signals are tested as a process. */
class RunnerTest {

    @TempDir
    Path dir;

    /** A configuration: listen and admin on ports the system chooses, one upstream of the given peers. */
    static String config(String listen, String admin, EchoBackend... peers) {
        StringBuilder list = new StringBuilder();
        for (EchoBackend peer : peers) {
            list.append(list.length() == 0 ? "" : ", ").append("{\"IP\": \"")
                    .append(peer.address().getHostString()).append("\", \"Port\": ").append(peer.address().getPort())
                    .append("}");
        }
        return """
                {
                  "Server": {"ListenAddr": "%s", "ListenParallel": 1},
                  "Upload": {
                    "DefaultUpstream": "pool",
                    "Upstreams": [{"Name": "pool", "Type": "rr", "Peers": [%s]}]
                  },
                  "Admin": {"ListenAddr": "%s"}
                }
                """.formatted(listen, list, admin);
    }

    private Runner start(Path file) throws Exception {
        return Runner.start(file, ConfigLoader.load(file).config(), "test");
    }

    @Test
    void aValidFileIsAppliedAndAnInvalidOneLeavesTheRunningConfiguration() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                EchoBackend b3 = EchoBackend.start("127.0.0.3", 3)) {
            Path file = Files.writeString(dir.resolve("stevedore.json"), config("127.0.0.1:0", "127.0.0.1:0", b2));
            try (Runner runner = start(file);
                    Client client = new Client(runner.daemon().listenAddress())) {
                InetSocketAddress admin = runner.adminAddress().orElseThrow();
                assertThat(client.request(new byte[] {1}).backend()).isEqualTo(2);

                Files.writeString(file, "{\"Upload\": {\"Upstreams\": []}}");
                assertThat(runner.reload()).isFalse();
                assertThat(client.request(new byte[] {2}).backend()).as("still the running configuration").isEqualTo(2);
                Files.writeString(file, config("127.0.0.1:0", "127.0.0.1:0", b3).replace("\"Type\"", "\"Typ\""));
                assertThat(runner.reload()).as("a typo is an error").isFalse();
                assertThat(client.request(new byte[] {2}).backend()).isEqualTo(2);

                Files.writeString(file, config("127.0.0.1:0", "127.0.0.1:0", b3));
                assertThat(runner.reload()).isTrue();
                assertThat(client.request(new byte[] {3}).backend()).as("the same session, the new peer").isEqualTo(3);
                assertThat(client.request(new byte[] {4}).backend()).isEqualTo(3);

                String metrics = get(admin, "/metrics").body();
                assertThat(sample(metrics, "stevedore_config_reloads_total{result=\"ok\"}")).isEqualTo(1);
                assertThat(sample(metrics, "stevedore_config_reloads_total{result=\"failed\"}")).isEqualTo(2);
                assertThat(sample(metrics, "stevedore_sessions_opened_total{listener=\"0\"}")).isEqualTo(1);
                assertThat(metrics).contains("peer=\"" + Addresses.format(b3.address()) + "\"").doesNotContain(Addresses.format(b2.address()));
                assertThat(get(admin, "/status").body()).contains("\"address\" : \"" + Addresses.format(b3.address()) + "\"");
            }
        }
    }

    @Test
    void aStopDoesNotWaitForAReloadBlockedReadingTheFile() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2)) {
            Path file = Files.writeString(dir.resolve("stevedore.json"), config("127.0.0.1:0", "127.0.0.1:0", b2));
            CountDownLatch reading = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Runner.Loader stuck = path -> {
                reading.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ConfigLoader.load(path);
            };
            Runner runner = Runner.start(file, stuck, ConfigLoader.load(file).config(), "test");
            try {
                CompletableFuture<Boolean> reload = CompletableFuture.supplyAsync(runner::reload);
                assertThat(reading.await(10, TimeUnit.SECONDS)).as("the reload is reading").isTrue();

                long start = System.nanoTime();
                runner.close();
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertThat(took).as("close while a reload is stuck").isLessThan(Duration.ofMillis(1500));
                assertThat(runner.daemon().isListening()).isFalse();
                assertThat(reload).isNotDone();
                release.countDown();
                assertThat(reload.get(10, TimeUnit.SECONDS)).as("a reload that outlived the stop applies nothing").isFalse();
                assertThat(runner.reloads().failed()).as("and is no failed reload").isZero();
            } finally {
                release.countDown();
                runner.close();
            }
        }
    }

    @Test
    void aListenAddressInUseFailsTheStartWithOneLine() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            Path file = Files.writeString(dir.resolve("stevedore.json"), config(listen, "127.0.0.1:0", b2));

            assertThatThrownBy(() -> start(file)).isInstanceOf(Runner.StartException.class)
                    .hasMessage("cannot listen on " + listen + ": address already in use");
        }
    }

    @Test
    void anAdminAddressInUseFailsTheStartAndReleasesTheListeningSocket() throws Exception {
        try (EchoBackend b2 = EchoBackend.start("127.0.0.2", 2);
                ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"));
                DatagramSocket free = new DatagramSocket(new InetSocketAddress("127.0.0.77", 0))) {
            int port = free.getLocalPort();
            free.close();
            String listen = "127.0.0.77:" + port;
            String admin = "127.0.0.1:" + taken.getLocalPort();
            Path file = Files.writeString(dir.resolve("stevedore.json"), config(listen, admin, b2));

            assertThatThrownBy(() -> start(file)).isInstanceOf(Runner.StartException.class)
                    .hasMessage("cannot serve the admin endpoint on " + admin + ": address already in use");
            try (DatagramSocket again = new DatagramSocket(new InetSocketAddress("127.0.0.77", port))) {
                assertThat(again.isBound()).isTrue();
            }
        }
    }
}
