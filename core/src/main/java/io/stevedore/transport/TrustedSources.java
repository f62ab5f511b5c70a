package io.stevedore.transport;

import io.stevedore.config.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The sources {@code Server.ProxyProtocolFrom} trusts to put a PROXY header on every datagram.
 * Asked once per client datagram, so an IPv4 sender is matched on the int its address already
 * holds ({@link Inet4Address#hashCode()} is the address itself), without copying it out; an IPv6
 * sender costs one copy of its 16 bytes, and only when some block is IPv6.
 */
final class TrustedSources {

    static final TrustedSources NONE = new TrustedSources(List.of());

    private final int[] networks4;
    private final int[] masks4;
    private final List<Cidr> blocks6 = new ArrayList<>();

    TrustedSources(List<Cidr> blocks) {
        List<Cidr> blocks4 = blocks.stream().filter(b -> b.network() instanceof Inet4Address).toList();
        networks4 = new int[blocks4.size()];
        masks4 = new int[blocks4.size()];
        for (int i = 0; i < blocks4.size(); i++) {
            Cidr block = blocks4.get(i);
            networks4[i] = block.network().hashCode();
            masks4[i] = block.prefix() == 0 ? 0 : -1 << (32 - block.prefix());
        }
        blocks.stream().filter(b -> !(b.network() instanceof Inet4Address)).forEach(blocks6::add);
    }

    boolean isEmpty() {
        return networks4.length == 0 && blocks6.isEmpty();
    }

    boolean trusts(InetAddress sender) {
        if (sender instanceof Inet4Address) {
            int address = sender.hashCode();
            for (int i = 0; i < networks4.length; i++) {
                if ((address & masks4[i]) == networks4[i]) {
                    return true;
                }
            }
            return false;
        }
        for (Cidr block : blocks6) {
            if (block.contains(sender)) {
                return true;
            }
        }
        return false;
    }
}
