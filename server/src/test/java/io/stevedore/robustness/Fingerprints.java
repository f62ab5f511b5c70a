package io.stevedore.robustness;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A multiset of datagrams by fingerprint (length and SHA-256 of the bytes): what was expected
 * somewhere and what arrived there compare equal only if every datagram arrived whole, once.
 * Safe to add to from one thread while another reads.
 */
final class Fingerprints {

    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    static String of(byte[] data, int offset, int length) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(data, offset, length);
            return length + "/" + HexFormat.of().formatHex(sha.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String of(byte[] data) {
        return of(data, 0, data.length);
    }

    void add(String fingerprint) {
        counts.merge(fingerprint, 1, Integer::sum);
    }

    void add(byte[] data) {
        add(of(data));
    }

    void addAllTo(Fingerprints other) {
        counts.forEach((key, n) -> other.counts.merge(key, n, Integer::sum));
    }

    int size() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * What differs from {@code expected}, in words, or empty when both hold the same datagrams the
     * same number of times. Fingerprints start with the length, which is what an operator can compare.
     */
    String differenceFrom(Fingerprints expected) {
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        for (String key : new TreeSet<>(union(expected))) {
            int want = expected.counts.getOrDefault(key, 0);
            int got = counts.getOrDefault(key, 0);
            if (got < want) {
                missing.add((want - got) + "x " + key);
            } else if (got > want) {
                extra.add((got - want) + "x " + key);
            }
        }
        if (missing.isEmpty() && extra.isEmpty()) {
            return "";
        }
        return missing.size() + " kind(s) of datagram expected but not arrived (length/sha256): " + first(missing)
                + "; " + extra.size() + " kind(s) arrived but not expected: " + first(extra);
    }

    /** The datagrams held here more often than in {@code allowed}, in words; empty when none. */
    String extraOver(Fingerprints allowed) {
        List<String> extra = new ArrayList<>();
        for (Map.Entry<String, Integer> entry : new TreeMap<>(counts).entrySet()) {
            int over = entry.getValue() - allowed.counts.getOrDefault(entry.getKey(), 0);
            if (over > 0) {
                extra.add(over + "x " + entry.getKey());
            }
        }
        return extra.isEmpty() ? "" : extra.size() + " kind(s) of datagram (length/sha256): " + first(extra);
    }

    private List<String> union(Fingerprints other) {
        List<String> keys = new ArrayList<>(counts.keySet());
        keys.addAll(other.counts.keySet());
        return keys;
    }

    private static List<String> first(List<String> items) {
        return items.subList(0, Math.min(5, items.size()));
    }
}
