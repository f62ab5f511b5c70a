package io.stevedore.protocols;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.LoadedConfig;
import io.stevedore.config.PeerConfig;
import io.stevedore.config.ServerConfig;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.config.UploadConfig;
import io.stevedore.config.UpstreamConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configurations docs/protocols.md gives, loaded with the real config loader, so that the
 * page shows exactly what the protocol tests run. Only addresses change: Stevedore listens on a
 * free port, and each peer keeps its IP but takes the port its test server really got.
 */
final class DocumentedConfig {

    private static final Path DOC = Path.of("docs", "protocols.md");

    private DocumentedConfig() {
    }

    /** The config of the section headed {@code ## section}, its peers moved to {@code serversByIp}. */
    static StevedoreConfig load(String section, Map<InetAddress, InetSocketAddress> serversByIp)
            throws IOException {
        LoadedConfig loaded;
        try {
            loaded = ConfigLoader.parse(jsonOf(section));
        } catch (ConfigException e) {
            return fail(DOC + ", section " + section + ": the config does not load:\n" + e.getMessage());
        }
        assertThat(loaded.warnings()).as(DOC + ", section " + section + ": loader warnings").isEmpty();
        assertThat(loaded.notes()).as(DOC + ", section " + section + ": loader notes").isEmpty();
        StevedoreConfig config = loaded.config();
        ServerConfig server = config.server();
        ServerConfig onFreePort = server.listeningOn(new InetSocketAddress(server.listenAddr().getAddress(), 0));
        List<UpstreamConfig> upstreams = new ArrayList<>();
        for (UpstreamConfig upstream : config.upload().upstreams()) {
            List<PeerConfig> peers = new ArrayList<>();
            for (PeerConfig peer : upstream.peers()) {
                InetSocketAddress testServer = serversByIp.get(peer.address().getAddress());
                if (testServer == null) {
                    fail(DOC + ", section " + section + ": no test server on the IP of peer " + peer.address());
                }
                peers.add(new PeerConfig(testServer, peer.weight(), peer.backup()));
            }
            upstreams.add(upstream.withPeers(peers));
        }
        UploadConfig upload = new UploadConfig(config.upload().defaultUpstream(), config.upload().routes(), upstreams);
        return new StevedoreConfig(onFreePort, config.session(), upload, config.log(), config.admin());
    }

    /** The first json block after the heading {@code ## section}. */
    private static String jsonOf(String section) throws IOException {
        String doc = Files.readString(DOC);
        int heading = doc.indexOf("\n## " + section + "\n");
        if (heading < 0) {
            return fail(DOC + " has no section \"## " + section + "\"");
        }
        Matcher block = Pattern.compile("```json\n(.*?)```", Pattern.DOTALL).matcher(doc);
        if (!block.find(heading)) {
            return fail(DOC + ", section " + section + ": no json block");
        }
        return block.group(1);
    }
}
