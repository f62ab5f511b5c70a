package io.stevedore.protocols;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Hand-built DNS queries (RFC 1035) for what dig will not send: readiness probes and broken headers. */
final class DnsMessages {

    /** The RD (recursion desired) flag: the lowest bit of header byte 2. */
    static final int RD = 0x01;

    private DnsMessages() {
    }

    /** A query for the A record of {@code name} with message id {@code id} and header byte 2 {@code flags}. */
    static byte[] query(int id, int flags, String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(id >> 8);
        out.write(id);
        out.write(flags);
        out.write(0);
        out.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            out.write(bytes.length);
            out.writeBytes(bytes);
        }
        out.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return out.toByteArray();
    }

    /** Whether {@code reply} is a response to the query with message id {@code id}. */
    static boolean answers(byte[] reply, int length, int id) {
        return length >= 12 && (reply[2] & 0x80) != 0 && ((reply[0] & 0xFF) << 8 | (reply[1] & 0xFF)) == id;
    }
}
