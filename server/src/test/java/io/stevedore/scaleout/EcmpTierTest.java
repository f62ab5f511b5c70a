package io.stevedore.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stevedore.cli.Main;
import io.stevedore.testing.ChildProcess;
import io.stevedore.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: a tier of Stevedores behind the kernel's equal-cost multipath routing, as Maglev was
 * meant to be run. In network namespaces of its own, the test builds a client, a router with one
 * multipath route to the service address over three Stevedore instances (hashing flows by their
 * ports, {@code fib_multipath_hash_policy} 1), and a namespace of backends behind them. KCP-style
 * conversations from many client ports spread over the instances, and each is answered by one
 * backend throughout. Then one instance is withdrawn from the route, as a BGP daemon withdraws a
 * dead instance's announcement, and stopped: its flows move to the other instances, and still no
 * conversation changes backend, because every instance computes the same Maglev table.
 *
 * <p>Addresses are from 198.18.0.0/15 (reserved for benchmarking), inside the test's namespaces
 * only. Needs root ({@code ip netns}); skipped otherwise.
 */
class EcmpTierTest {

    private static final int INSTANCES = 3;
    private static final int CONVERSATIONS = 90;
    private static final String SERVICE = "198.18.100.1";
    private static final int SERVICE_PORT = 7000;
    private static final int BACKEND_PORT = 9001;
    private static final String CLIENT_IP = "198.18.1.2";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final String prefix = "stv" + ProcessHandle.current().pid() % 100_000;
    private final List<String> namespaces = new ArrayList<>();
    private final List<ChildProcess> processes = new ArrayList<>();

    @Test
    void everyConversationKeepsItsBackendWhenAnInstanceLeavesTheTier() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespaces take root (ip netns)");
        try {
            build();
            processes.add(ChildProcess.start("backends", inNamespace("b", ChildProcess.javaCommand(EcmpBackend.class,
                    Integer.toString(BACKEND_PORT), "198.18.9.2", "198.18.9.3", "198.18.9.4")), null));
            List<ChildProcess> instances = new ArrayList<>();
            for (int k = 1; k <= INSTANCES; k++) {
                Path config = Files.writeString(dir.resolve("stevedore-" + k + ".json"), config());
                ChildProcess instance = ChildProcess.start("stevedore-" + k,
                        inNamespace("s" + k, ChildProcess.javaCommand(Main.class, "-c", config.toString())), null);
                processes.add(instance);
                instances.add(instance);
            }
            for (ChildProcess instance : instances) {
                Poll.until(TIMEOUT, "a Stevedore instance running", () -> instance.output().contains(" running, pid "),
                        instance::describe);
            }
            Poll.until(TIMEOUT, "the backends listening", () -> processes.get(0).output().contains("backends listening"),
                    processes.get(0)::describe);

            Map<Integer, String[]> before = round(1);
            assertThat(before.values()).as("conversations answered").noneMatch(r -> r == null);
            Map<Integer, Long> perInstance = new HashMap<>();
            before.values().forEach(r -> perInstance.merge(Integer.parseInt(r[0]), 1L, Long::sum));
            assertThat(perInstance).as("conversations per instance: the router spreads them").hasSize(INSTANCES);

            // Instance 2 leaves: its route is withdrawn, then it stops.
            ip("-n", ns("r"), "route", "replace", SERVICE + "/32",
                    "nexthop", "via", "198.18.2.2", "nexthop", "via", "198.18.4.2");
            instances.get(1).close();

            Map<Integer, String[]> after = round(2);
            int movedInstance = 0;
            int movedBackend = 0;
            for (int conv = 0; conv < CONVERSATIONS; conv++) {
                String[] was = before.get(conv);
                String[] is = after.get(conv);
                assertThat(is).as("conversation %d answered after the instance left", conv).isNotNull();
                assertThat(is[0]).as("conversation %d on a remaining instance", conv).isNotEqualTo("2");
                movedInstance += was[0].equals(is[0]) ? 0 : 1;
                movedBackend += was[1].equals(is[1]) ? 0 : 1;
            }
            System.out.printf("ECMP tier: %d conversations over %d instances %s; instance 2 withdrawn: %d moved "
                    + "instance, %d moved backend%n", CONVERSATIONS, INSTANCES, perInstance, movedInstance, movedBackend);
            assertThat(movedInstance).as("conversations that moved instance: at least those of instance 2")
                    .isGreaterThanOrEqualTo(perInstance.get(2).intValue());
            assertThat(movedBackend).as("conversations that moved backend").isZero();
        } finally {
            processes.forEach(ChildProcess::close);
            for (String namespace : namespaces) {
                new ProcessBuilder("ip", "netns", "del", namespace).start().waitFor();
            }
        }
    }

    /** Each conversation's [instance, backend] in one run of the client, null where it was lost. */
    private Map<Integer, String[]> round(int round) throws Exception {
        ChildProcess.Finished run = ChildProcess.run(dir, Map.of(), TIMEOUT, inNamespace("c",
                ChildProcess.javaCommand(EcmpClient.class, CLIENT_IP, "40000", Integer.toString(CONVERSATIONS),
                        SERVICE + ":" + SERVICE_PORT, Integer.toString(round))));
        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<Integer, String[]> result = new HashMap<>();
        for (String line : run.out().lines().toList()) {
            String[] words = line.split(" ");
            if (words.length == 6 && words[0].equals("conv") && words[2].equals("instance")) {
                // The instance's address is 198.18.(1 + k).2: the backend saw octet 1 + k.
                int instance = Integer.parseInt(words[3]) - 1;
                result.put(Integer.parseInt(words[1]), new String[] {Integer.toString(instance), words[5]});
            } else if (words.length >= 2 && words[0].equals("conv")) {
                result.put(Integer.parseInt(words[1]), null);
            }
        }
        assertThat(result).as("a line per conversation: %s", run.out()).hasSize(CONVERSATIONS);
        return result;
    }

    private static String config() {
        return """
                {
                  "Server": {"ListenAddr": "%s:%d", "ListenParallel": 1},
                  "Session": {"TimeoutSec": 60},
                  "Upload": {
                    "DefaultUpstream": "kcp",
                    "Upstreams": [{"Name": "kcp", "Type": "chash", "KeyBytes": "0:4", "Peers": [
                      {"IP": "198.18.9.2", "Port": %d}, {"IP": "198.18.9.3", "Port": %d},
                      {"IP": "198.18.9.4", "Port": %d}]}]
                  },
                  "Log": {"Level": "info"}
                }
                """.formatted(SERVICE, SERVICE_PORT, BACKEND_PORT, BACKEND_PORT, BACKEND_PORT);
    }

    /**
     * client (198.18.1.2) — router — instance k (198.18.(1+k).2, the service address on its
     * loopback), k = 1..3; router — backends (198.18.9.2-4).
     */
    private void build() throws IOException, InterruptedException {
        for (String name : List.of("r", "c", "b", "s1", "s2", "s3")) {
            ip("netns", "add", ns(name));
            namespaces.add(ns(name));
            ip("-n", ns(name), "link", "set", "lo", "up");
            sysctl(name, "net.ipv4.conf.all.rp_filter=0");
            sysctl(name, "net.ipv4.conf.default.rp_filter=0");
        }
        sysctl("r", "net.ipv4.ip_forward=1");
        sysctl("r", "net.ipv4.fib_multipath_hash_policy=1");
        link("c", "198.18.1.2/24", "198.18.1.1/24");
        link("b", "198.18.9.2/24", "198.18.9.1/24");
        ip("-n", ns("b"), "addr", "add", "198.18.9.3/24", "dev", "eth0");
        ip("-n", ns("b"), "addr", "add", "198.18.9.4/24", "dev", "eth0");
        List<String> nexthops = new ArrayList<>(List.of("-n", ns("r"), "route", "add", SERVICE + "/32"));
        for (int k = 1; k <= INSTANCES; k++) {
            link("s" + k, "198.18." + (1 + k) + ".2/24", "198.18." + (1 + k) + ".1/24");
            ip("-n", ns("s" + k), "addr", "add", SERVICE + "/32", "dev", "lo");
            nexthops.addAll(List.of("nexthop", "via", "198.18." + (1 + k) + ".2"));
        }
        ip(nexthops.toArray(String[]::new));
    }

    /** A veth pair from namespace {@code name} (eth0, {@code address}) to the router ({@code routerAddress}). */
    private void link(String name, String address, String routerAddress) throws IOException, InterruptedException {
        String routerSide = "to-" + name;
        ip("-n", ns(name), "link", "add", "eth0", "type", "veth", "peer", "name", routerSide, "netns", ns("r"));
        ip("-n", ns(name), "addr", "add", address, "dev", "eth0");
        ip("-n", ns(name), "link", "set", "eth0", "up");
        ip("-n", ns("r"), "addr", "add", routerAddress, "dev", routerSide);
        ip("-n", ns("r"), "link", "set", routerSide, "up");
        ip("-n", ns(name), "route", "add", "default", "via", routerAddress.substring(0, routerAddress.indexOf('/')));
    }

    private String ns(String name) {
        return prefix + "-" + name;
    }

    private List<String> inNamespace(String name, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns(name)));
        full.addAll(command);
        return full;
    }

    private void sysctl(String name, String setting) throws IOException, InterruptedException {
        run(List.of("ip", "netns", "exec", ns(name), "sysctl", "-q", "-w", setting));
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        run(command);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
