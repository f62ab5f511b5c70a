package io.stevedore.balancing;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.PeerConfig;
import io.stevedore.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Maglev table is a pure function of the set of (address, weight): two Stevedore instances
 * behind ECMP route every key identically without talking to each other.
 */
class MaglevDeterminismTest {

    /**
     * The table of {@link MaglevDigest#referencePeers()} as built by this version. Changing the
     * key hash, the peer hashes, the sort order or the fill makes instances of different versions
     * disagree on every key's peer: change this constant only on purpose, and say so in the
     * release notes.
     */
    private static final String REFERENCE_DIGEST = "ba2867378d4ff3fe537e57a1f4dfed26f234d2b321ccf2795f6ea336b90a50b6";

    private static final String REFERENCE = MaglevDigest.digest(Upstream.of(Upstreams.chash(MaglevDigest.referencePeers())));

    @Test
    void sameTableInAnyPeerOrder() {
        Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            List<PeerConfig> shuffled = new ArrayList<>(MaglevDigest.referencePeers());
            Collections.shuffle(shuffled, random);
            assertThat(MaglevDigest.digest(Upstream.of(Upstreams.chash(shuffled)))).isEqualTo(REFERENCE);
        }
    }

    @Test
    void sameTableAsThisVersionAlwaysBuilt() {
        assertThat(REFERENCE).isEqualTo(REFERENCE_DIGEST);
    }

    @Test
    void sameTableInASeparateJvm() throws IOException, InterruptedException {
        Process process = new ProcessBuilder(ChildProcess.javaCommand(MaglevDigest.class))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("digest JVM finished").isTrue();
            assertThat(process.exitValue()).isZero();
            assertThat(out.lines()).contains("digest " + REFERENCE);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void differentWeightsOrAddressesGiveADifferentTable() {
        List<PeerConfig> reweighted = new ArrayList<>(MaglevDigest.referencePeers());
        PeerConfig first = reweighted.get(0);
        reweighted.set(0, new PeerConfig(first.address(), first.weight() + 1, first.backup()));
        assertThat(MaglevDigest.digest(Upstream.of(Upstreams.chash(reweighted)))).isNotEqualTo(REFERENCE);
        List<PeerConfig> moved = new ArrayList<>(MaglevDigest.referencePeers());
        moved.set(0, Upstreams.peer(200, first.weight()));
        assertThat(MaglevDigest.digest(Upstream.of(Upstreams.chash(moved)))).isNotEqualTo(REFERENCE);
    }
}
