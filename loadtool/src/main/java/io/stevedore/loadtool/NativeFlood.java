package io.stevedore.loadtool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * The flood shape through {@code udpflood}, a client in C shipped as this package's resource and
 * built with the machine's {@code gcc} on first use: the same datagrams, sockets and turns as
 * {@link LoadRun}'s flood at a fraction of its CPU per datagram, so that the client's own receive
 * queue stops being the longest one a fast proxy's replies wait in. The proxies' CPU is read when
 * the client says its measured window opens and closes, with the same clocks as {@link LoadRun}.
 */
final class NativeFlood {

    private static final String SOURCE = "udpflood.c";
    private static final ObjectMapper JSON = new ObjectMapper();

    private NativeFlood() {
    }

    /** Builds the client into {@code work} and returns it; the compiler's complaint if it cannot. */
    static Path build(Path work) throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path source = work.resolve(SOURCE);
        try (InputStream in = NativeFlood.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IllegalStateException(SOURCE + " is missing from the load tool's jar");
            }
            Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
        }
        Path binary = work.resolve("udpflood");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("--client native needs gcc to build " + source + ": " + e.getMessage(), e);
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
            gcc.destroyForcibly();
            throw new IllegalStateException("gcc could not build " + source + ": " + output);
        }
        return binary;
    }

    /**
     * Runs the flood {@code spec} describes (IPv4 targets, contiguous IPv4 source addresses)
     * through {@code binary}; {@code started} learns the client's pid as it starts.
     */
    static LoadResult run(Path binary, LoadSpec spec, LongConsumer started) throws IOException, InterruptedException {
        if (spec.shape() != Shape.FLOOD || spec.convsPerSocket() != 1
                || !spec.targets().stream().allMatch(t -> t.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("the native client floods IPv4 targets, one conversation per socket: "
                    + spec.describe());
        }
        String targets = spec.targets().stream()
                .map(t -> t.getAddress().getHostAddress() + ":" + t.getPort()).collect(Collectors.joining(","));
        // As the JVM client: with no source addresses given, the sockets send from the loopback address.
        List<InetAddress> sources = spec.sourceIps().isEmpty() ? List.of(Loopback.address("127.0.0.1")) : spec.sourceIps();
        List<String> command = List.of(binary.toString(), targets, sources.get(0).getHostAddress(),
                Integer.toString(contiguous(sources)), Integer.toString(spec.sockets()),
                Integer.toString(spec.size()), Integer.toString(spec.batch()),
                Long.toString(spec.warmup().toMillis()), Long.toString(spec.duration().toMillis()));
        Process client = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        started.accept(client.pid());
        List<CpuClock> watched = spec.cpuPids().stream().map(CpuClock::ofTree).toList();
        CpuClock self = CpuClock.ofTree(client.pid());
        long[] cpuStart = null;
        long[] cpuEnd = null;
        JsonNode result = null;
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.equals("window-start")) {
                    cpuStart = read(watched, self);
                } else if (line.equals("window-end")) {
                    cpuEnd = read(watched, self);
                } else if (line.startsWith("{")) {
                    result = JSON.readTree(line);
                }
            }
        } finally {
            // Bounded by the client itself (its window, then at most 2 s of draining).
            if (!client.waitFor(spec.warmup().plus(spec.duration()).toSeconds() + 30, TimeUnit.SECONDS)) {
                client.destroyForcibly();
            }
        }
        if (result == null || cpuStart == null || cpuEnd == null || client.exitValue() != 0) {
            throw new IllegalStateException(binary + " ended with " + client.exitValue() + " and no result");
        }
        return result(spec, result, cpuStart, cpuEnd);
    }

    /** How many addresses from the first of {@code ips} on are the next ones in turn: all of them, or refused. */
    private static int contiguous(List<InetAddress> ips) {
        int first = toInt(ips.get(0));
        for (int i = 1; i < ips.size(); i++) {
            if (!(ips.get(i) instanceof Inet4Address) || toInt(ips.get(i)) != first + i) {
                throw new IllegalArgumentException("the native client takes a range of IPv4 source addresses");
            }
        }
        return ips.size();
    }

    private static int toInt(InetAddress ip) {
        byte[] b = ip.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** The watched processes' CPU nanoseconds, then the client's own last. */
    private static long[] read(List<CpuClock> watched, CpuClock self) {
        long[] nanos = new long[watched.size() + 1];
        for (int i = 0; i < watched.size(); i++) {
            nanos[i] = watched.get(i).nanos();
        }
        nanos[watched.size()] = self.nanos();
        return nanos;
    }

    static LoadResult result(LoadSpec spec, JsonNode json, long[] cpuStart, long[] cpuEnd) {
        double seconds = json.get("seconds").asDouble();
        long sent = json.get("sent").asLong();
        long received = json.get("received").asLong();
        long lost = Math.max(0, sent - received);
        Map<Long, Double> cpuSeconds = new LinkedHashMap<>();
        for (int i = 0; i < spec.cpuPids().size(); i++) {
            cpuSeconds.put(spec.cpuPids().get(i), cpuStart[i] < 0 || cpuEnd[i] < 0
                    ? Double.NaN : (cpuEnd[i] - cpuStart[i]) / 1e9);
        }
        int last = cpuStart.length - 1;
        LoadResult.Latency latency = new LoadResult.Latency(received, json.get("p50").asDouble(),
                json.get("p90").asDouble(), json.get("p99").asDouble(), json.get("p999").asDouble(),
                json.get("max").asDouble());
        return new LoadResult(spec.shape().label(), spec.describe() + ", native client", seconds, sent, received,
                lost, sent == 0 ? 0 : 100.0 * lost / sent, received / seconds, sent / seconds, latency,
                // The native client checks the routing (below) but does not tally replies per backend.
                Map.of(), spec.sockets(), json.get("conversationsAnswered").asInt(),
                json.get("conversationsOnSeveralBackends").asInt(), 0, json.get("stray").asLong(),
                json.get("sendErrors").asLong(), "duration",
                cpuStart[last] < 0 || cpuEnd[last] < 0 ? Double.NaN : (cpuEnd[last] - cpuStart[last]) / 1e9,
                cpuSeconds);
    }
}
