package io.stevedore.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stevedore.config.Addresses;
import io.stevedore.config.ConfigException;
import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.dryrun.Decision;
import io.stevedore.dryrun.DryRun;
import io.stevedore.routing.RouteTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stevedore route}: the dry run of one datagram, see {@link DryRun}. */
@Command(
        name = "route",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Shows what the daemon would do with one datagram from a new client, with every peer up:",
            "each route tried, the upstream, the key bytes and the peer, or why it is dropped. Opens no socket."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:decided (forwarded or dropped, or a quic fallback that needs --from)", "1:invalid configuration", "2:invalid command line"})
final class RouteCommand implements Callable<Integer> {

    private static final HexFormat HEX = HexFormat.of();

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            defaultValue = "${sys:stevedore.config:-etc/stevedore.json}",
            description = "Configuration file (default: ${DEFAULT-VALUE}).")
    private Path configFile;

    @Option(names = "--from", paramLabel = "IP:PORT",
            description = "The datagram's source, as the daemon would see it (default: a new client).")
    private String from;

    @Option(names = "--json", description = "Print one JSON object: route, upstream, peer, drop and the details.")
    private boolean json;

    @Parameters(paramLabel = "DATAGRAM",
            description = "The datagram as hex (0x and whitespace allowed), or @FILE for a file's raw bytes.")
    private String datagram;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        byte[] bytes = bytes();
        InetSocketAddress source = source();
        StevedoreConfig config;
        try {
            config = ConfigLoader.load(configFile).config();
        } catch (ConfigException e) {
            PrintWriter err = spec.commandLine().getErr();
            e.errors().forEach(line -> err.println("error: " + line));
            err.println("configuration file " + configFile
                    + (java.nio.file.Files.notExists(configFile) ? " does not exist" : " is invalid"));
            err.flush();
            return Main.INVALID;
        }
        Decision decision = new DryRun(config).decide(bytes, source);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(decision) + "\n" : text(decision));
        out.flush();
        return Main.OK;
    }

    private byte[] bytes() {
        if (datagram.startsWith("@")) {
            Path file = Path.of(datagram.substring(1));
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "DATAGRAM " + datagram + ": cannot read " + file
                        + ": " + e.getMessage());
            }
        }
        String hex = datagram.replaceAll("\\s+", "");
        if (hex.startsWith("0x") || hex.startsWith("0X")) {
            hex = hex.substring(2);
        }
        try {
            return HEX.parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "DATAGRAM \"" + datagram
                    + "\" is not hex bytes (two digits 0-9, a-f per byte) nor @FILE");
        }
    }

    private InetSocketAddress source() {
        if (from == null) {
            return null;
        }
        try {
            return Addresses.listen(from, "127.0.0.1:40000");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--from " + e.getMessage());
        }
    }

    static String text(Decision d) {
        StringBuilder out = new StringBuilder();
        out.append("datagram: ").append(d.size()).append(d.size() == 1 ? " byte" : " bytes")
                .append(d.from() == null ? " from a new client" : " from " + Addresses.format(d.from())).append('\n');
        for (RouteTable.Trial trial : d.trials()) {
            out.append("route ").append(trial.index()).append(": bytes ").append(trial.route().keyBytes()).append(' ')
                    .append(trial.bytes() == null ? "(beyond the datagram)" : "0x" + HEX.formatHex(trial.bytes()))
                    .append(' ').append(trial.route().operator().symbol()).append(" 0x")
                    .append(HEX.formatHex(trial.route().value())).append(": ")
                    .append(trial.matched() ? "match, upstream \"" + trial.route().upstream() + "\"" : "no match")
                    .append('\n');
        }
        if ("default".equals(d.route())) {
            out.append("no route matched: Upload.DefaultUpstream\n");
        }
        if (d.upstream() != null) {
            out.append("upstream \"").append(d.upstream()).append("\": ").append(d.balancing()).append('\n');
        }
        if (d.key() != null) {
            out.append("key bytes: 0x").append(HEX.formatHex(d.key())).append('\n');
        }
        if (d.peer() != null) {
            out.append("peer: ").append(d.peer()).append(d.backup() ? " (the backup)" : "").append('\n');
        } else if (d.drop() == null) {
            out.append("peer: undecided (").append(d.why()).append(")\n");
        } else {
            out.append("drop: ").append(d.drop()).append(" (").append(d.why()).append(")\n");
        }
        return out.toString();
    }

    static String json(Decision d) {
        JsonMapper mapper = new JsonMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("route", d.route());
        root.put("upstream", d.upstream());
        root.put("peer", d.peer());
        root.put("drop", d.drop());
        root.put("why", d.why());
        root.put("size", d.size());
        root.put("from", d.from() == null ? null : Addresses.format(d.from()));
        root.put("key", d.key() == null ? null : HEX.formatHex(d.key()));
        root.put("balancing", d.balancing());
        root.put("backup", d.backup());
        ArrayNode routes = root.putArray("routes");
        for (RouteTable.Trial trial : d.trials()) {
            ObjectNode r = routes.addObject();
            r.put("index", trial.index());
            r.put("keyBytes", trial.route().keyBytes().toString());
            r.put("bytes", trial.bytes() == null ? null : HEX.formatHex(trial.bytes()));
            r.put("operator", trial.route().operator().symbol());
            r.put("value", HEX.formatHex(trial.route().value()));
            r.put("upstream", trial.route().upstream());
            r.put("matched", trial.matched());
        }
        return root.toString();
    }
}
