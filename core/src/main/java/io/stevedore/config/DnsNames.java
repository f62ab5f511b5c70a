package io.stevedore.config;

import java.util.regex.Pattern;

/** Whether text is a DNS name a resolver can ask for, checked before any query is sent (RFC 1035, 2782). */
final class DnsNames {

    /** Underscores too: SRV names start with {@code _service._proto}. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    private DnsNames() {
    }

    /** A name of labels separated by dots, optionally ending in the root's dot. */
    static boolean valid(String name) {
        String relative = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (relative.isEmpty() || relative.length() > 253) {
            return false;
        }
        for (String label : relative.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
