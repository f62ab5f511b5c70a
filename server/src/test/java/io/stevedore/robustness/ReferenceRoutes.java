package io.stevedore.robustness;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What SPEC.md says happens to a client datagram, written from its text alone (the operator table,
 * the Value notation, BufSize, KeyBytes of a chash upstream) and sharing no code with the daemon's
 * routing: the oracle the fuzz tests hold the running daemon to.
 */
final class ReferenceRoutes {

    /** One route as the configuration file writes it. */
    record Rule(String keyBytes, String operator, String value, String upstream) {

        int start() {
            return Integer.parseInt(keyBytes.substring(0, keyBytes.indexOf(':')));
        }

        int end() {
            return Integer.parseInt(keyBytes.substring(keyBytes.indexOf(':') + 1));
        }

        String json() {
            return String.format(
                    "{\"KeyBytes\": \"%s\", \"Operator\": \"%s\", \"Value\": \"%s\", \"Upstream\": \"%s\"}",
                    keyBytes, operator, value, upstream);
        }
    }

    /** Where a datagram goes: an upstream's name, or the drop reason's label. */
    record Outcome(String upstream, String dropReason) {

        static Outcome to(String upstream) {
            return new Outcome(upstream, null);
        }

        static Outcome dropped(String reason) {
            return new Outcome(null, reason);
        }

        boolean forwarded() {
            return upstream != null;
        }

        @Override
        public String toString() {
            return forwarded() ? "forwarded to " + upstream : "dropped as " + dropReason;
        }
    }

    private final int bufSize;
    private final List<Rule> rules;
    private final String defaultUpstream;
    /** Upstream name → the end of its chash KeyBytes, or 0 for rr. Names absent here are no upstream. */
    private final Map<String, Integer> upstreamKeyEnds;

    ReferenceRoutes(int bufSize, List<Rule> rules, String defaultUpstream, Map<String, Integer> upstreamKeyEnds) {
        this.bufSize = bufSize;
        this.rules = List.copyOf(rules);
        this.defaultUpstream = defaultUpstream;
        this.upstreamKeyEnds = Map.copyOf(upstreamKeyEnds);
    }

    Outcome of(byte[] datagram) {
        if (datagram.length == 0) {
            return Outcome.dropped("empty");
        }
        if (datagram.length > bufSize) {
            return Outcome.dropped("oversize");
        }
        String target = defaultUpstream;
        for (Rule rule : rules) {
            if (matches(rule, datagram)) {
                target = rule.upstream();
                break;
            }
        }
        Integer keyEnd = upstreamKeyEnds.get(target);
        if (keyEnd == null) {
            return Outcome.dropped("no_route");
        }
        if (datagram.length < keyEnd) {
            return Outcome.dropped("short_key");
        }
        return Outcome.to(target);
    }

    /** The SPEC's table: x is the selected bytes, v the value zero-extended on the left to x's width. */
    static boolean matches(Rule rule, byte[] datagram) {
        if (datagram.length < rule.end()) {
            return false;
        }
        int width = rule.end() - rule.start();
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(datagram, rule.start(), rule.end()));
        BigInteger v = parse(rule.value());
        if (v.bitLength() > width * 8) {
            throw new IllegalArgumentException(rule + ": the value is wider than its field");
        }
        return switch (rule.operator()) {
            case "==" -> x.equals(v);
            case "!==", "!=" -> !x.equals(v);
            case "|=" -> x.or(v).equals(v);
            case "!|=" -> !x.or(v).equals(v);
            case "&=" -> x.and(v).equals(v);
            case "!&=" -> !x.and(v).equals(v);
            case "<" -> x.compareTo(v) < 0;
            case "<=" -> x.compareTo(v) <= 0;
            case ">" -> x.compareTo(v) > 0;
            case ">=" -> x.compareTo(v) >= 0;
            default -> throw new IllegalArgumentException("no operator " + rule.operator());
        };
    }

    /** "0x.." hex, "0b.." binary or decimal, as the SPEC's Value. */
    static BigInteger parse(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("0x")) {
            return new BigInteger(lower.substring(2), 16);
        }
        if (lower.startsWith("0b")) {
            return new BigInteger(lower.substring(2), 2);
        }
        return new BigInteger(lower);
    }

    /** The value's bytes as wide as the rule's field, for planting a near-match into a datagram. */
    static byte[] fieldBytes(Rule rule, BigInteger value) {
        int width = rule.end() - rule.start();
        byte[] raw = value.toByteArray();
        byte[] field = new byte[width];
        int n = Math.min(raw.length, width);
        System.arraycopy(raw, raw.length - n, field, width - n, n);
        return field;
    }
}
