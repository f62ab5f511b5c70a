package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real program a protocol test drives, and the Debian package that ships it. A missing program
 * fails the test (never skips it) with a message naming the program and how to get it; bin/test
 * installs them on a fresh machine.
 */
enum RequiredProgram {
    TFTPD("in.tftpd", "tftpd-hpa"),
    TFTP("tftp", "tftp-hpa"),
    DNSMASQ("dnsmasq", "dnsmasq-base"),
    DIG("dig", "bind9-dnsutils"),
    UNBOUND("unbound", "unbound"),
    CHROMIUM("chromium", "chromium");

    /** Server programs live in sbin, which a non-root PATH often lacks. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/local/sbin", "/usr/sbin", "/sbin");

    private final String program;
    private final String debianPackage;

    RequiredProgram(String program, String debianPackage) {
        this.program = program;
        this.debianPackage = debianPackage;
    }

    /** The program's absolute path; fails the calling test when it is not installed. */
    String path() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(EXTRA_DIRS);
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail(program + " is not installed (Debian package " + debianPackage + "): run bin/test as root,"
                + " which installs it, or apt-get install --no-install-recommends " + debianPackage);
    }
}
