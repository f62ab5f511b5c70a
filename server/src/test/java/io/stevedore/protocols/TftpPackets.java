package io.stevedore.protocols;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Hand-built TFTP packets (RFC 1350, options RFC 2347) for what the tftp client will not send. */
final class TftpPackets {

    static final int DATA = 3;
    static final int ERROR = 5;
    static final int OACK = 6;

    private TftpPackets() {
    }

    /** A read request in octet mode, with options given as name, value, name, value... */
    static byte[] readRequest(String file, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(1);
        string(out, file);
        string(out, "octet");
        for (String option : options) {
            string(out, option);
        }
        return out.toByteArray();
    }

    static byte[] ack(int block) {
        return new byte[] {0, 4, (byte) (block >> 8), (byte) block};
    }

    /** An error packet (code 0, "not defined"): ends a transfer without waiting for its timeouts. */
    static byte[] error(String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, (byte) ERROR, 0, 0});
        string(out, message);
        return out.toByteArray();
    }

    static int opcode(byte[] packet) {
        return (packet[0] & 0xFF) << 8 | (packet[1] & 0xFF);
    }

    private static void string(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
    }
}
