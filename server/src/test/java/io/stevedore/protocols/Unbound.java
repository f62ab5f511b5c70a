package io.stevedore.protocols;

import io.stevedore.proxyprotocol.ProxyHeader;
import io.stevedore.testing.ChildProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real Unbound in the foreground on one loopback address and port, which expects a PROXY
 * protocol v2 header on every datagram ({@code proxy-protocol-port}) and answers one name from its
 * own data. Its access control refuses all of 127.0.0.0/8 but two addresses: the front tier that
 * sends it datagrams (127.0.0.1, every test's client side) and the one client allowed. Unbound
 * checks both the datagram's real sender and the client the header names, so only a header that
 * carries the allowed client gets an answer; every other client is told REFUSED.
 */
final class Unbound implements AutoCloseable {

    private final InetSocketAddress address;
    private final ChildProcess process;
    private final Path directory;

    private Unbound(InetSocketAddress address, ChildProcess process, Path directory) {
        this.address = address;
        this.process = process;
        this.directory = directory;
    }

    /** Starts Unbound on {@code address}, answering {@code name} with {@code answer} to {@code allowed} only. */
    static Unbound start(InetSocketAddress address, InetAddress allowed, String name, InetAddress answer)
            throws IOException {
        Path directory = Files.createTempDirectory("stevedore-unbound");
        String ip = address.getAddress().getHostAddress();
        Path conf = directory.resolve("unbound.conf");
        Files.writeString(conf, String.join("\n",
                "server:",
                "  interface: " + ip + "@" + address.getPort(),
                "  port: " + address.getPort(),
                "  proxy-protocol-port: " + address.getPort(),
                "  do-ip6: no",
                "  do-tcp: no",
                "  do-daemonize: no",
                "  chroot: \"\"",
                "  username: \"\"",
                "  directory: \"" + directory + "\"",
                "  pidfile: \"\"",
                "  use-syslog: no",
                "  logfile: \"\"",
                "  verbosity: 1",
                "  access-control: 127.0.0.0/8 refuse",
                "  access-control: " + Loopback.CLIENT.getHostAddress() + "/32 allow",
                "  access-control: " + allowed.getHostAddress() + "/32 allow",
                "  local-zone: \"" + zoneOf(name) + "\" static",
                "  local-data: \"" + name + " A " + answer.getHostAddress() + "\"",
                ""));
        ChildProcess process = ChildProcess.start("unbound",
                List.of(RequiredProgram.UNBOUND.path(), "-d", "-c", conf.toString()), null);
        // A LOCAL header: the probe speaks for itself, from the front tier's address.
        ReadinessProbe.await("unbound", address, process, id -> concat(ProxyHeader.local(), DnsMessages.query(id, 0, name)),
                (id, reply, length) -> DnsMessages.answers(reply, length, id));
        return new Unbound(address, process, directory);
    }

    /** The zone Unbound serves {@code name} from: the name without its first label. */
    private static String zoneOf(String name) {
        return name.substring(name.indexOf('.') + 1);
    }

    static byte[] concat(byte[] first, byte[] second) {
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    InetSocketAddress address() {
        return address;
    }

    String describe() {
        return process.describe();
    }

    @Override
    public void close() throws IOException {
        process.close();
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(directory);
    }
}
