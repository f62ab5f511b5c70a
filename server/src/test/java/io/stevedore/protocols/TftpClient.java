package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import io.stevedore.testing.ChildProcess;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real tftp-hpa client, one process per transfer so that several can run at once. tftp-hpa
 * exits 0 even when a transfer fails, so the outcome is read from what it prints.
 */
final class TftpClient implements AutoCloseable {

    private static final Pattern DONE = Pattern.compile("(Received|Sent) (\\d+) bytes");

    private final String what;
    private final ChildProcess process;

    private TftpClient(String what, ChildProcess process) {
        this.what = what;
        this.process = process;
    }

    /** Starts fetching {@code remote} from {@code server} into {@code local}. */
    static TftpClient get(InetSocketAddress server, String remote, Path local) {
        return run(server, "get " + remote + " " + local, "get " + remote);
    }

    /** Starts uploading {@code local} to {@code server} as {@code remote}. */
    static TftpClient put(InetSocketAddress server, Path local, String remote) {
        return run(server, "put " + local + " " + remote, "put " + remote);
    }

    private static TftpClient run(InetSocketAddress server, String command, String what) {
        String tftp = RequiredProgram.TFTP.path();
        // Retransmit after 1 s and give up after 10 s: a lost datagram shows as a slow test, a
        // broken relay as a clear failure rather than tftp's default 25 s wait.
        String script = "binary\nrexmt 1\ntimeout 10\n" + command + "\nquit\n";
        List<String> argv = List.of(tftp, "-v", server.getAddress().getHostAddress(), Integer.toString(server.getPort()));
        return new TftpClient(what, ChildProcess.start("tftp-" + what, argv, script));
    }

    /** Waits for the transfer to end, fails if tftp reports an error or a timeout, and returns the bytes moved. */
    long awaitSuccess(Duration timeout) throws InterruptedException {
        if (!process.awaitExit(timeout)) {
            fail("tftp " + what + " still running after " + timeout.toSeconds() + " s: " + process.describe());
        }
        String output = process.output();
        if (output.contains("Error") || output.contains("timed out")) {
            fail("tftp " + what + " failed: " + process.describe());
        }
        // tftp-hpa prints no statistics for an empty file, only for a transfer that moved bytes.
        Matcher done = DONE.matcher(output);
        return done.find() ? Long.parseLong(done.group(2)) : 0;
    }

    @Override
    public void close() {
        process.close();
    }
}
