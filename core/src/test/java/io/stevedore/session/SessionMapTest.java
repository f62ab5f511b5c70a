package io.stevedore.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The open-addressed map against a HashMap, through growth and removals that shift runs back. */
class SessionMapTest {

    private Session session(InetSocketAddress client) {
        return new Session(client, 0, 0, 0);
    }

    @Test
    void randomAddsAndRemovesAgreeWithAHashMap() {
        Random random = new Random(42);
        SessionMap map = new SessionMap();
        Map<InetSocketAddress, Session> expected = new HashMap<>();
        List<InetSocketAddress> keys = new ArrayList<>();
        for (int ip = 1; ip <= 4; ip++) {
            for (int port = 1000; port < 1500; port++) {
                keys.add(new InetSocketAddress("127.0.1." + ip, port));
            }
        }
        for (int step = 0; step < 50_000; step++) {
            InetSocketAddress key = keys.get(random.nextInt(keys.size()));
            Session present = expected.get(key);
            if (present == null) {
                Session added = session(key);
                map.add(added);
                expected.put(key, added);
            } else if (random.nextBoolean()) {
                assertThat(map.remove(present)).isTrue();
                assertThat(map.remove(present)).isFalse();
                expected.remove(key);
            }
            if (step % 1000 == 0) {
                for (InetSocketAddress k : keys) {
                    assertThat(map.get(new InetSocketAddress(k.getAddress(), k.getPort()))).isSameAs(expected.get(k));
                }
            }
        }
        assertThat(map.size()).isEqualTo(expected.size());
        List<Session> seen = new ArrayList<>();
        map.forEach(seen::add);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(expected.values());
    }

    @Test
    void addressesThatCollideUnderInetSocketAddressHashCodeGetSpreadHomes() throws Exception {
        SessionMap map = new SessionMap();
        List<InetSocketAddress> keys = new ArrayList<>();
        int n = 4096;
        for (int i = 0; i < n; i++) {
            // IPv4 InetSocketAddress.hashCode() is ip + port: raising one and lowering the other keeps it.
            InetAddress ip = InetAddress.getByAddress(new byte[] {127, 1, (byte) (i >>> 8), (byte) i});
            keys.add(new InetSocketAddress(ip, 40_000 - i));
        }
        assertThat(keys.stream().mapToInt(InetSocketAddress::hashCode).distinct().count()).isEqualTo(1);
        for (InetSocketAddress key : keys) {
            map.add(session(key));
        }
        Set<Integer> homes = new HashSet<>();
        for (InetSocketAddress key : keys) {
            homes.add(map.home(key));
            assertThat(map.get(key).client()).isEqualTo(key);
        }
        // Random homes for 4096 keys in 16384 slots give about 3600 distinct ones; the old hash gave 1.
        assertThat(homes).hasSizeGreaterThan(n * 3 / 4);
    }

    @Test
    void anEqualButOtherSessionIsNotRemoved() {
        SessionMap map = new SessionMap();
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 5000);
        Session kept = session(client);
        map.add(kept);
        assertThat(map.remove(session(client))).isFalse();
        assertThat(map.get(client)).isSameAs(kept);
    }
}
