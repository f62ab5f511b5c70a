package io.stevedore.transport;

import io.stevedore.config.Addresses;
import java.net.InetSocketAddress;

/** The listening address cannot be bound: in use, not local, or not permitted. */
public final class ListenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ListenException(InetSocketAddress address, String reason, Throwable cause) {
        super("cannot listen on " + Addresses.format(address) + ": " + reason, cause);
    }

    /** The kernel's reason in an operator's words, whichever socket layer reported it. */
    static String reason(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        String lower = message.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("address already in use")) {
            return "address already in use";
        }
        if (lower.contains("cannot assign requested address")) {
            return "not an address of this host";
        }
        if (lower.contains("permission denied")) {
            return "permission denied (ports below 1024 need privileges)";
        }
        return message;
    }
}
