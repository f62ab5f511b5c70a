package io.stevedore.loadtool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The native flood client, built with the machine's gcc, against real echo backends on loopback. */
class NativeFloodTest {

    @TempDir
    Path work;

    @Test
    void floodsEchoBackendsAndReportsTheWindowWithTheWatchedCpu() throws Exception {
        Path binary = NativeFlood.build(work);
        assertThat(Files.isExecutable(binary)).isTrue();
        try (EchoServer echo = EchoServer.start(List.of(
                        new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.2"), 0), "b1"),
                        new EchoServer.Listener(new InetSocketAddress(Loopback.address("127.0.0.3"), 0), "b2")),
                1, EchoServer.DEFAULT_MAX_DATAGRAM)) {
            long self = ProcessHandle.current().pid();
            LoadSpec spec = LoadSpec.builder()
                    .targets(echo.listeners().stream().map(EchoServer.Listener::address).toList())
                    .sourceIps(Loopback.addresses("127.0.0.10-127.0.0.13"))
                    .shape(Shape.FLOOD).sockets(8).size(64).batch(4)
                    .warmup(Duration.ofMillis(200)).duration(Duration.ofMillis(500))
                    .cpuPids(List.of(self))
                    .build();
            AtomicLong client = new AtomicLong();

            LoadResult result = NativeFlood.run(binary, spec, client::set);

            assertThat(client.get()).isPositive().isNotEqualTo(self);
            assertThat(result.seconds()).isEqualTo(0.5);
            assertThat(result.sent()).isPositive();
            assertThat(result.received()).isPositive().isLessThanOrEqualTo(result.sent());
            assertThat(result.lost()).isEqualTo(result.sent() - result.received());
            assertThat(result.latencyMicros().p99()).isGreaterThanOrEqualTo(result.latencyMicros().p50());
            // Eight sockets over two backends: every conversation answered, each by one backend.
            assertThat(result.conversationsAnswered()).isEqualTo(8);
            assertThat(result.conversationsOnSeveralBackends()).isZero();
            // The echo runs in this JVM: its CPU during the window was read.
            assertThat(result.cpuSeconds()).containsKey(self);
            assertThat(result.cpuSeconds().get(self)).isNotNaN().isPositive();
            assertThat(result.description()).endsWith("native client");
        }
    }

    @Test
    void refusesWhatItCannotSend() throws Exception {
        Path binary = NativeFlood.build(work);
        LoadSpec rate = LoadSpec.builder()
                .targets(List.of(new InetSocketAddress(Loopback.address("127.0.0.2"), 9)))
                .shape(Shape.RATE).rate(10).duration(Duration.ofMillis(100)).build();
        assertThatThrownBy(() -> NativeFlood.run(binary, rate, pid -> { }))
                .hasMessageContaining("the native client floods");
        LoadSpec scattered = LoadSpec.builder()
                .targets(List.of(new InetSocketAddress(Loopback.address("127.0.0.2"), 9)))
                .sourceIps(List.of(Loopback.address("127.0.0.10"), Loopback.address("127.0.0.12")))
                .shape(Shape.FLOOD).duration(Duration.ofMillis(100)).build();
        assertThatThrownBy(() -> NativeFlood.run(binary, scattered, pid -> { }))
                .hasMessageContaining("a range of IPv4 source addresses");
    }
}
