package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import com.sun.security.auth.module.UnixSystem;
import io.stevedore.testing.ChildProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * A real tftpd-hpa server in the foreground on one loopback address, serving and accepting
 * uploads into {@code root}. Like every TFTP server it answers each request from a new port.
 */
final class Tftpd implements AutoCloseable {

    private final InetSocketAddress address;
    private final Path root;
    private final ChildProcess process;

    private Tftpd(InetSocketAddress address, Path root, ChildProcess process) {
        this.address = address;
        this.root = root;
        this.process = process;
    }

    /** Starts in.tftpd on {@code address} and waits until it answers a request. */
    static Tftpd start(String name, InetSocketAddress address, Path root) throws IOException {
        String tftpd = RequiredProgram.TFTPD.path();
        if (new UnixSystem().getUid() != 0) {
            fail("in.tftpd (tftpd-hpa) must be started as root: for every transfer it drops privileges with"
                    + " setgroups(), which fails for any other user, and the transfer dies unanswered."
                    + " Run the tests as root (as bin/test and CI do).");
        }
        List<String> command = List.of(tftpd,
                "--foreground",
                "--address", address.getAddress().getHostAddress() + ":" + address.getPort(),
                // chroot into root, so clients ask for plain names as of any TFTP server
                "--secure",
                // Stay root: the test's temporary directories are private to the user running the tests.
                "--user", "root",
                "--create", "--permissive", "--umask", "022",
                root.toString());
        ChildProcess process = ChildProcess.start(name, command, null);
        // Polls with a read request for a file that does not exist until an error packet answers it.
        byte[] request = TftpPackets.readRequest("stevedore-readiness-probe");
        ReadinessProbe.await("in.tftpd", address, process, attempt -> request,
                (attempt, reply, length) -> length >= 2 && TftpPackets.opcode(reply) == TftpPackets.ERROR);
        return new Tftpd(address, root, process);
    }

    InetSocketAddress address() {
        return address;
    }

    Path root() {
        return root;
    }

    String describe() {
        return process.describe();
    }

    @Override
    public void close() {
        process.close();
    }
}
