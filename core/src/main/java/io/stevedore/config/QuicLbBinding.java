package io.stevedore.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.stevedore.quic.QuicLbConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The QUIC-LB part of an upstream: its {@code QuicLB} list and each peer's {@code ServerId}, every
 * mistake reported with its JSON path. A peer has one server ID, and every configuration of the
 * list must be able to carry it, so the configurations of one upstream share one
 * {@code ServerIdLength}; they differ in config ID, nonce length and key (a key rotation).
 */
final class QuicLbBinding {

    private static final String EXPECTED_LIST = "expected [ { \"ConfigId\": 0, \"ServerIdLength\": 3, "
            + "\"NonceLength\": 4 }, ... ], with \"Key\" for encrypted connection IDs";

    private final Problems problems;

    QuicLbBinding(Problems problems) {
        this.problems = problems;
    }

    /**
     * The upstream's configurations: empty for a type other than {@code quic} (where {@code QuicLB}
     * is an error), and for a {@code quic} upstream whose list has an error (then the upstream is
     * not built).
     */
    Optional<List<QuicLbConfig>> configs(Section u, BalanceType type) {
        String key = UpstreamConfig.QUIC_LB;
        JsonNode node = u.get(key);
        if (type != BalanceType.QUIC) {
            if (node != null && type != null) {
                u.errorAt(key, "set, but Type is \"" + type.configName() + "\"; expected QuicLB only with Type \"quic\"");
            }
            return Optional.of(List.of());
        }
        if (node == null) {
            u.errorAt(key, "missing; Type \"quic\" reads the server ID in each connection ID by these, " + EXPECTED_LIST);
            return Optional.empty();
        }
        if (node.isArray() && node.isEmpty()) {
            u.error(key, "is empty; " + EXPECTED_LIST);
            return Optional.empty();
        }
        List<QuicLbConfig> configs = new ArrayList<>();
        Map<Integer, String> configIds = new HashMap<>();
        String firstLength = null;
        int serverIdLength = 0;
        boolean valid = node.isArray();
        for (Section.Indexed element : u.objects(key, QuicLbKeys.KEYS)) {
            Section c = element.section();
            int configId = required(c, QuicLbKeys.CONFIG_ID, "(the top three bits of each connection ID's first byte)");
            int idLength = required(c, QuicLbKeys.SERVER_ID_LENGTH, "");
            int nonceLength = required(c, QuicLbKeys.NONCE_LENGTH, "");
            byte[] aesKey = aesKey(c);
            boolean ok = configId >= 0 && idLength > 0 && nonceLength > 0 && (aesKey != null || !c.has(QuicLbKeys.KEY));
            if (configId >= 0) {
                String earlier = configIds.putIfAbsent(configId, c.path());
                if (earlier != null) {
                    c.error(QuicLbKeys.CONFIG_ID.name(), "is already the ConfigId of " + earlier
                            + "; expected each config ID once per upstream");
                    ok = false;
                }
            }
            if (idLength > 0 && firstLength == null) {
                firstLength = c.pathOf(QuicLbKeys.SERVER_ID_LENGTH.name());
                serverIdLength = idLength;
            } else if (idLength > 0 && idLength != serverIdLength) {
                c.error(QuicLbKeys.SERVER_ID_LENGTH.name(), "differs from " + firstLength + " " + serverIdLength
                        + "; expected one length for the upstream, since each peer has one ServerId");
                ok = false;
            }
            if (idLength > 0 && nonceLength > 0 && idLength + nonceLength > QuicLbConfig.MAX_PLAINTEXT_LENGTH) {
                c.errorAt(QuicLbKeys.NONCE_LENGTH.name(), nonceLength + " with ServerIdLength " + idLength + " makes "
                        + (idLength + nonceLength) + " bytes; expected at most " + QuicLbConfig.MAX_PLAINTEXT_LENGTH
                        + " together (a connection ID is at most 20 bytes, one of them the first)");
                ok = false;
            }
            if (ok) {
                configs.add(new QuicLbConfig(configId, idLength, nonceLength, aesKey));
            }
            valid &= ok;
        }
        return valid && configs.size() == node.size() ? Optional.of(configs) : Optional.empty();
    }

    /** A required integer: its value, or -1 when missing or invalid (reported). */
    private static int required(Section c, IntKey key, String why) {
        if (!c.has(key.name())) {
            c.errorAt(key.name(), "missing; expected " + key.noun() + " from " + key.min() + " to " + key.max()
                    + (why.isEmpty() ? "" : " " + why));
            return -1;
        }
        JsonNode node = c.get(key.name());
        int value = c.integer(key);
        return node.canConvertToInt() && node.isIntegralNumber() && value == node.intValue() ? value : -1;
    }

    /** The AES-128 key, or null when absent (plaintext) or invalid (reported, never echoed: it is a secret). */
    private static byte[] aesKey(Section c) {
        Optional<String> text = c.string(QuicLbKeys.KEY, "0x followed by 32 hex digits (an AES-128 key)");
        if (text.isEmpty()) {
            return null;
        }
        byte[] key;
        try {
            key = ByteLiterals.hex(text.get());
        } catch (IllegalArgumentException e) {
            key = null;
        }
        if (key == null || key.length != QuicLbConfig.KEY_LENGTH) {
            c.errorAt(QuicLbKeys.KEY, "is not 16 bytes of hex (the value is not shown: it is a secret); expected 0x "
                    + "followed by 32 hex digits (an AES-128 key), or no Key for plaintext server IDs");
            return null;
        }
        return key;
    }

    /**
     * A peer's server ID: null for a peer of another type than {@code quic} (where {@code ServerId}
     * is an error) and for a missing or invalid one (reported).
     *
     * @param length the upstream's ServerIdLength, or 0 when its QuicLB did not bind
     * @param seen the server IDs (hex) of the upstream's peers so far, with their paths
     */
    byte[] serverId(Section p, BalanceType type, int length, Map<String, String> seen) {
        String key = PeerConfig.SERVER_ID;
        Optional<String> text = p.string(key, "0x followed by the server ID's bytes in hex");
        if (type != BalanceType.QUIC) {
            if (p.has(key) && type != null) {
                p.errorAt(key, "set, but the upstream's Type is \"" + type.configName()
                        + "\"; expected ServerId only in a Type \"quic\" upstream");
            }
            return null;
        }
        String form = length > 0 ? "0x followed by " + length + " bytes of hex (QuicLB's ServerIdLength)"
                : "0x followed by the server ID's bytes in hex";
        if (!p.has(key)) {
            p.errorAt(key, "missing; Type \"quic\" sends a connection to the peer whose server ID it carries, expected "
                    + form);
            return null;
        }
        if (text.isEmpty()) {
            return null;
        }
        byte[] id;
        try {
            id = ByteLiterals.hex(text.get());
        } catch (IllegalArgumentException e) {
            p.errorAt(key, e.getMessage());
            return null;
        }
        if (length > 0 && id.length != length) {
            p.error(key, "is " + (id.length == 1 ? "1 byte" : id.length + " bytes") + "; expected " + form);
            return null;
        }
        String earlier = seen.putIfAbsent(HexFormat.of().formatHex(id), p.path());
        if (earlier != null) {
            p.error(key, "is already the ServerId of " + earlier + "; expected each server ID once per upstream");
            return null;
        }
        return length > 0 ? id : null;
    }
}
