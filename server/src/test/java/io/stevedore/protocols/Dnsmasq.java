package io.stevedore.protocols;

import io.stevedore.testing.ChildProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A real dnsmasq in the foreground on one loopback address, answering one name with one A record
 * from its own data: no upstream resolver, no hosts file, no system config.
 */
final class Dnsmasq implements AutoCloseable {

    private final InetSocketAddress address;
    private final ChildProcess process;

    private Dnsmasq(InetSocketAddress address, ChildProcess process) {
        this.address = address;
        this.process = process;
    }

    /** Starts dnsmasq on {@code address}, answering {@code name} with {@code answer}, and waits until it answers. */
    static Dnsmasq start(String processName, InetSocketAddress address, String name, InetAddress answer) throws IOException {
        return start(processName, address, name, List.of("--address=/" + name + "/" + answer.getHostAddress()));
    }

    /**
     * Starts dnsmasq on {@code address} with {@code data}, options that give it records (e.g.
     * {@code --addn-hosts=FILE}, {@code --srv-host=...}), and waits until it answers {@code probeName}.
     */
    static Dnsmasq start(String processName, InetSocketAddress address, String probeName, List<String> data)
            throws IOException {
        String dnsmasq = RequiredProgram.DNSMASQ.path();
        List<String> command = new ArrayList<>(List.of(dnsmasq,
                "--keep-in-foreground", "--no-daemon",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=",
                "--user=" + System.getProperty("user.name"),
                "--listen-address=" + address.getAddress().getHostAddress(), "--bind-interfaces",
                "--port=" + address.getPort(),
                "--log-queries"));
        command.addAll(data);
        ChildProcess process = ChildProcess.start(processName, command, null);
        ReadinessProbe.await("dnsmasq", address, process, id -> DnsMessages.query(id, 0, probeName),
                (id, reply, length) -> DnsMessages.answers(reply, length, id));
        return new Dnsmasq(address, process);
    }

    /** SIGHUP: dnsmasq reads its hosts files (--addn-hosts) again. */
    void reread() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start();
        if (!kill.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -HUP " + process.pid() + " failed");
        }
    }

    InetSocketAddress address() {
        return address;
    }

    String describe() {
        return process.describe();
    }

    @Override
    public void close() {
        process.close();
    }
}
