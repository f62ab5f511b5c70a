package io.stevedore.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stevedore.discovery.RecordType;
import io.stevedore.quic.QuicLbConfig;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the JSON tree of a configuration file into a {@link StevedoreConfig}: each section is
 * read against its {@link Keys}, declared beside its record, defaults fill what is absent, and
 * every value is checked where it stands and against the values it depends on. Problems go to
 * {@link Problems} and binding goes on, so one run reports every error of the file. A record is
 * built only from values that passed (or the defaults standing in for those that did not), so its
 * constructor's checks never fire on a user's file.
 */
final class ConfigBinder {

    /**
     * A bound on each listening socket's read buffer, {@code BatchSize} slots of {@code BufSize + 1}
     * bytes taken for every recvmmsg. It is direct memory, pinned while any datagram read into it is
     * queued, so several per listener may be alive: 8 MiB keeps that far below the JVM's default
     * direct-memory limit while allowing BufSize 65535 with BatchSize 128, or BatchSize 1024 with
     * BufSize 8191.
     */
    static final int MAX_READ_BUFFER = 8 << 20;

    private static final Pattern KEY_BYTES = Pattern.compile("(-?\\d{1,9}):(-?\\d{1,9})");
    private static final String KEY_BYTES_FORM = "\"start:end\" with 0 <= start < end, e.g. \"0:4\"";
    private static final String VALUE_FORM = "0x hex, 0b binary or decimal digits, e.g. \"0x01\"";
    private static final String TYPES = "\"rr\", \"chash\" or \"quic\"";
    private static final String OPERATORS = "==, !==, !=, |=, !|=, &=, !&=, <, <=, >, >=";
    private static final byte[] BROADCAST = {(byte) 255, (byte) 255, (byte) 255, (byte) 255};
    private static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error");

    private final Problems problems;
    private final QuicLbBinding quic;

    /** {@code Server.ListenAddr}, bound before the peers, which must not name it. */
    private InetSocketAddress listenAddr;

    ConfigBinder(Problems problems) {
        this.problems = problems;
        this.quic = new QuicLbBinding(problems);
    }

    /** The bound configuration, or null when {@link Problems} holds errors. */
    StevedoreConfig bind(ObjectNode root) {
        Section top = Section.of(root, "", problems, StevedoreConfig.KEYS);
        ServerConfig server = server(top.section(StevedoreConfig.SERVER, ServerConfig.KEYS));
        listenAddr = server.listenAddr();
        Section sessionSection = top.section(StevedoreConfig.SESSION, SessionConfig.KEYS);
        List<Source> sources = sourceAddrs(sessionSection);
        SessionConfig session = session(sessionSection, sources);
        UploadConfig upload = upload(top, server.bufSize());
        if (upload != null) {
            checkSourcesReachPeers(sessionSection, sources, upload);
        }
        LogConfig log = log(top.section(StevedoreConfig.LOG, LogConfig.KEYS));
        Optional<AdminConfig> admin = admin(top);
        if (problems.hasErrors()) {
            return null;
        }
        return new StevedoreConfig(server, session, upload, log, admin);
    }

    private ServerConfig server(Section s) {
        String defaultListen = "0.0.0.0:" + ServerConfig.DEFAULT_PORT;
        InetSocketAddress listen = address(s, ServerConfig.LISTEN_ADDR, Addresses.listen(defaultListen, defaultListen),
                defaultListen);
        int parallel = s.integer(ServerConfig.LISTEN_PARALLEL);
        int batch = s.integer(ServerConfig.BATCH_SIZE);
        int buf = s.integer(ServerConfig.BUF_SIZE);
        int tries = s.integer(ServerConfig.MAX_TRY_TIMES);
        int recvBuf = s.integer(ServerConfig.RECV_BUF_BYTES);
        int floodRecvBuf = s.integer(ServerConfig.FLOOD_RECV_BUF_BYTES);
        long readBuffer = (long) batch * (buf + 1);
        if (readBuffer > MAX_READ_BUFFER) {
            s.errorAt(ServerConfig.BATCH_SIZE.name(), batch + " slots of " + s.pathOf(ServerConfig.BUF_SIZE.name())
                    + " " + buf + " + 1 bytes make each listening socket's read buffer " + size(readBuffer) + "; expected at most "
                    + size(MAX_READ_BUFFER) + ": BatchSize at most " + MAX_READ_BUFFER / (buf + 1)
                    + " with this BufSize, or BufSize at most " + (MAX_READ_BUFFER / batch - 1) + " with this BatchSize");
        }
        for (String key : ServerConfig.KEYS.ignored()) {
            if (s.has(key)) {
                problems.note(s.pathOf(key) + ": a tuning knob of the Go original, not applicable here; ignored");
            }
        }
        return new ServerConfig(listen, parallel, batch, buf, tries, proxyProtocolFrom(s), recvBuf,
                floodRecvBuf, s.bool(ServerConfig.ADAPTIVE_BATCH));
    }

    /** The valid blocks of {@code Server.ProxyProtocolFrom}, in order; each invalid one is reported. */
    private List<Cidr> proxyProtocolFrom(Section s) {
        JsonNode node = s.get(ServerConfig.PROXY_PROTOCOL_FROM);
        List<Cidr> blocks = new ArrayList<>();
        String expected = "expected an address block ip/prefix or an IP address, e.g. \"127.0.0.0/8\" or \"::1\"";
        if (node == null) {
            return blocks;
        }
        if (!node.isArray()) {
            s.error(ServerConfig.PROXY_PROTOCOL_FROM, "is not an array; expected [ \"ip/prefix\", ... ] of the front "
                    + "tier's addresses, e.g. [\"127.0.0.0/8\"]");
            return blocks;
        }
        for (int i = 0; i < node.size(); i++) {
            String path = s.pathOf(ServerConfig.PROXY_PROTOCOL_FROM) + "[" + i + "]";
            JsonNode element = node.get(i);
            Cidr block = element.isTextual() ? Cidr.parse(element.textValue()) : null;
            if (block == null) {
                problems.error(path + ": " + Section.render(element)
                        + (element.isTextual() ? " is not an address block; " : " is not a string; ") + expected);
                continue;
            }
            blocks.add(block);
        }
        return blocks;
    }

    /** {@code 67108864 bytes (64 MiB)}: exact, and readable at a glance. */
    private static String size(long n) {
        double mib = n / (double) (1 << 20);
        String rounded = mib == Math.rint(mib) ? String.valueOf((long) mib) : String.format(Locale.ROOT, "%.1f", mib);
        return n + " bytes (" + rounded + " MiB)";
    }

    private SessionConfig session(Section s, List<Source> sources) {
        return new SessionConfig(
                s.integer(SessionConfig.TIMEOUT_SEC),
                s.integer(SessionConfig.RECYCLE_INTERVAL_SEC),
                s.integer(SessionConfig.MAX_SESSIONS),
                sources.stream().map(Source::address).toList(),
                s.integer(SessionConfig.RECV_BUF_BYTES));
    }

    /** An entry of {@code Session.SourceAddrs} that is a usable address, with its path. */
    private record Source(String path, String written, InetAddress address) {
    }

    /** The valid entries of {@code Session.SourceAddrs}, in order; each invalid one is reported. */
    private List<Source> sourceAddrs(Section s) {
        JsonNode node = s.get(SessionConfig.SOURCE_ADDRS);
        List<Source> sources = new ArrayList<>();
        if (node == null) {
            return sources;
        }
        if (!node.isArray()) {
            s.error(SessionConfig.SOURCE_ADDRS, "is not an array; expected [ \"ip\", ... ] of local IP addresses, e.g. "
                    + "[\"127.0.0.21\", \"127.0.0.22\"]");
            return sources;
        }
        Map<InetAddress, String> seen = new HashMap<>();
        for (int i = 0; i < node.size(); i++) {
            String path = s.pathOf(SessionConfig.SOURCE_ADDRS) + "[" + i + "]";
            JsonNode element = node.get(i);
            if (!element.isTextual()) {
                problems.error(path + ": " + Section.render(element) + " is not a string; expected an IP address, "
                        + "e.g. \"127.0.0.21\"");
                continue;
            }
            InetAddress ip = Addresses.ip(element.textValue());
            String problem = ip == null
                    ? "is not an IP address; expected an IPv4 or IPv6 literal, e.g. \"127.0.0.21\" (names are not resolved)"
                    : unusableSource(ip);
            if (problem == null) {
                String earlier = seen.putIfAbsent(ip, path);
                if (earlier != null) {
                    problem = "is already " + earlier + "; expected each address once";
                }
            }
            if (problem != null) {
                problems.error(path + ": " + Section.render(element) + " " + problem);
                continue;
            }
            sources.add(new Source(path, Section.render(element), ip));
        }
        if (!sources.isEmpty()) {
            problems.note(s.pathOf(SessionConfig.SOURCE_ADDRS) + ": new session sockets are bound to " + sources.size()
                    + (sources.size() == 1 ? " address" : " addresses in turn") + ", each a local address of this "
                    + "host that the peers can answer to (for remote peers: an address on the route to them)");
        }
        return sources;
    }

    /** Why {@code ip} cannot be a session socket's own address, or null if it can. */
    private static String unusableSource(InetAddress ip) {
        String unicast = "; expected a local unicast address";
        if (ip.isAnyLocalAddress()) {
            return "is the wildcard address; expected a specific local address (leave SourceAddrs out for the "
                    + "kernel's choice)";
        }
        if (ip.isMulticastAddress()) {
            return "is a multicast address" + unicast;
        }
        if (ip instanceof Inet4Address && Arrays.equals(ip.getAddress(), BROADCAST)) {
            return "is the broadcast address" + unicast;
        }
        if (ip instanceof Inet6Address && ip.isLinkLocalAddress()) {
            return "is a link-local IPv6 address, which is bound only with an interface this key cannot name; "
                    + "expected a global or unique-local address";
        }
        return null;
    }

    /**
     * A session has one socket for all its peers, so its source address must be of the peers'
     * family. With peers of both families the socket is IPv6 and reaches IPv4 peers as mapped
     * addresses, which only a socket bound to the wildcard {@code ::} can: bound to an IPv6 address it reaches no IPv4
     * peer, bound to a mapped one no IPv6 peer.
     */
    private void checkSourcesReachPeers(Section s, List<Source> sources, UploadConfig upload) {
        if (sources.isEmpty()) {
            return;
        }
        String ipv4 = null;
        String ipv6 = null;
        String remote = null;
        for (UpstreamConfig upstream : upload.upstreams()) {
            for (PeerConfig peer : upstream.peers()) {
                String named = Addresses.format(peer.address()) + " of upstream " + Section.quote(upstream.name());
                if (peer.address().getAddress() instanceof Inet6Address) {
                    ipv6 = ipv6 == null ? named : ipv6;
                } else {
                    ipv4 = ipv4 == null ? named : ipv4;
                }
                if (remote == null && !peer.address().getAddress().isLoopbackAddress()) {
                    remote = named;
                }
            }
        }
        if (ipv4 != null && ipv6 != null) {
            s.errorAt(SessionConfig.SOURCE_ADDRS, "set, but the peers are of both families (IPv4 " + ipv4 + ", IPv6 " + ipv6
                    + "); expected peers of one family, or no SourceAddrs: a session's one socket reaches both "
                    + "only when bound to the wildcard ::");
            return;
        }
        for (Source source : sources) {
            boolean isIpv6 = source.address() instanceof Inet6Address;
            if (isIpv6 && ipv4 != null) {
                problems.error(source.path() + ": " + source.written() + " is an IPv6 address but the peers are IPv4 ("
                        + ipv4 + "); expected an IPv4 address");
            } else if (!isIpv6 && ipv6 != null) {
                problems.error(source.path() + ": " + source.written() + " is an IPv4 address but the peers are IPv6 ("
                        + ipv6 + "); expected an IPv6 address");
            } else if (source.address().isLoopbackAddress() && remote != null) {
                problems.warning(source.path() + ": " + source.written() + " is a loopback address but peer " + remote
                        + " is not: the kernel sends nothing from a loopback address to another host");
            }
        }
    }

    private UploadConfig upload(Section top, int bufSize) {
        Optional<Section> found = top.optionalSection(StevedoreConfig.UPLOAD, UploadConfig.KEYS);
        if (found.isEmpty()) {
            if (!top.has(StevedoreConfig.UPLOAD)) {
                problems.error("Upload: missing; expected { \"Upstreams\": [ ... ] }, with optional Routes and DefaultUpstream");
            }
            return null;
        }
        Section s = found.get();

        // Every name declared, valid upstream or not, so a broken upstream does not also read as a deny route.
        Map<String, String> names = new LinkedHashMap<>();
        List<UpstreamConfig> upstreams = new ArrayList<>();
        JsonNode upstreamsNode = s.get(UploadConfig.UPSTREAMS);
        if (upstreamsNode == null) {
            s.errorAt(UploadConfig.UPSTREAMS, "missing; expected at least one upstream");
        } else if (upstreamsNode.isArray() && upstreamsNode.isEmpty()) {
            s.error(UploadConfig.UPSTREAMS, "is empty; expected at least one upstream");
        }
        for (Section.Indexed element : s.objects(UploadConfig.UPSTREAMS, UpstreamConfig.KEYS)) {
            UpstreamConfig upstream = upstream(element.section(), bufSize, names);
            if (upstream != null) {
                upstreams.add(upstream);
            }
        }

        List<RouteConfig> routes = new ArrayList<>();
        List<Section.Indexed> routeElements = s.objects(UploadConfig.ROUTES, RouteConfig.KEYS);
        for (Section.Indexed element : routeElements) {
            RouteConfig route = route(element.section(), bufSize, names.keySet());
            if (route != null) {
                routes.add(route);
            }
        }

        String defaultUpstream = s.string(UploadConfig.DEFAULT_UPSTREAM, "the name of an upstream").orElse("");
        if (!s.has(UploadConfig.DEFAULT_UPSTREAM)) {
            problems.note(s.pathOf(UploadConfig.DEFAULT_UPSTREAM) + " is not set: datagrams that match no route are dropped");
        } else if (s.get(UploadConfig.DEFAULT_UPSTREAM).isTextual()) {
            checkNamesUpstream(s.pathOf(UploadConfig.DEFAULT_UPSTREAM), defaultUpstream, names.keySet(),
                    "datagrams that match no route are dropped");
        }
        if (routeElements.isEmpty() && !names.containsKey(defaultUpstream) && !names.isEmpty()) {
            problems.warning(s.path() + ": no Routes and DefaultUpstream names no upstream: every datagram is dropped");
        }
        return new UploadConfig(defaultUpstream, routes, upstreams);
    }

    /** A route or default naming no upstream drops its traffic: "deny" is the idiom, so only a note. */
    private void checkNamesUpstream(String path, String name, Set<String> names, String consequence) {
        if (names.contains(name)) {
            return;
        }
        String sameButCase = names.stream().filter(n -> n.equalsIgnoreCase(name)).findFirst().orElse(null);
        String subject = path + " " + Section.quote(name) + " names no upstream";
        if (sameButCase != null) {
            problems.warning(subject + " (upstream names are case-sensitive; did you mean "
                    + Section.quote(sameButCase) + "?): " + consequence);
        } else {
            problems.note(subject + ": " + consequence);
        }
    }

    private RouteConfig route(Section r, int bufSize, Set<String> names) {
        KeyBytes keyBytes = keyBytes(r, RouteConfig.KEY_BYTES, bufSize);
        if (!r.has(RouteConfig.KEY_BYTES)) {
            r.errorAt(RouteConfig.KEY_BYTES, "missing; expected the bytes to match, " + KEY_BYTES_FORM);
        }

        Operator operator = null;
        Optional<String> operatorText = r.string(RouteConfig.OPERATOR, "one of " + OPERATORS);
        if (!r.has(RouteConfig.OPERATOR)) {
            r.errorAt(RouteConfig.OPERATOR, "missing; expected one of " + OPERATORS);
        } else if (operatorText.isPresent()) {
            operator = Operator.fromSymbol(operatorText.get());
            if (operator == null) {
                r.error(RouteConfig.OPERATOR, "is not an operator; expected one of " + OPERATORS);
            }
        }

        byte[] value = null;
        Optional<String> valueText = r.string(RouteConfig.VALUE, "a string of " + VALUE_FORM);
        if (!r.has(RouteConfig.VALUE)) {
            r.errorAt(RouteConfig.VALUE, "missing; expected " + VALUE_FORM);
        } else if (valueText.isPresent()) {
            try {
                value = ByteLiterals.number(valueText.get());
            } catch (IllegalArgumentException e) {
                r.errorAt(RouteConfig.VALUE, e.getMessage());
            }
        }
        if (value != null && keyBytes != null && value.length > keyBytes.length()) {
            r.errorAt(RouteConfig.VALUE, Section.quote(valueText.get()) + " is " + bytes(value.length) + " but KeyBytes "
                    + Section.quote(keyBytes.toString()) + " selects " + bytes(keyBytes.length()));
            value = null;
        }

        Optional<String> upstream = r.string(RouteConfig.UPSTREAM, "the name of an upstream");
        if (!r.has(RouteConfig.UPSTREAM)) {
            r.errorAt(RouteConfig.UPSTREAM, "missing; expected the name of an upstream (a name that matches none drops the datagrams)");
        } else if (upstream.isPresent()) {
            checkNamesUpstream(r.pathOf(RouteConfig.UPSTREAM), upstream.get(), names, "datagrams matching this route are dropped");
        }

        if (keyBytes == null || operator == null || value == null || upstream.isEmpty()) {
            return null;
        }
        return new RouteConfig(keyBytes, operator, ByteLiterals.zeroExtend(value, keyBytes.length()), upstream.get());
    }

    /** The {@code KeyBytes} of {@code s}, or null when absent or invalid (the latter reported). */
    private KeyBytes keyBytes(Section s, String key, int bufSize) {
        Optional<String> text = s.string(key, KEY_BYTES_FORM);
        if (text.isEmpty()) {
            return null;
        }
        String quoted = Section.quote(text.get());
        Matcher m = KEY_BYTES.matcher(text.get());
        if (!m.matches()) {
            s.errorAt(key, quoted + " is not \"start:end\"; expected " + KEY_BYTES_FORM);
            return null;
        }
        int start = Integer.parseInt(m.group(1));
        int end = Integer.parseInt(m.group(2));
        if (start < 0 || end < 0) {
            s.errorAt(key, quoted + " has a negative offset; expected " + KEY_BYTES_FORM);
            return null;
        }
        if (end <= start) {
            s.errorAt(key, quoted + " ends at " + end + ", not after its start " + start + "; expected " + KEY_BYTES_FORM);
            return null;
        }
        if (end > bufSize) {
            s.errorAt(key, quoted + " ends beyond Server.BufSize " + bufSize
                    + ", so no datagram accepted is long enough; expected an end of at most " + bufSize);
            return null;
        }
        return new KeyBytes(start, end);
    }

    private UpstreamConfig upstream(Section u, int bufSize, Map<String, String> names) {
        Optional<String> name = u.string(UpstreamConfig.NAME, "a unique upstream name");
        if (!u.has(UpstreamConfig.NAME)) {
            u.errorAt(UpstreamConfig.NAME, "missing; expected a unique upstream name");
        } else if (name.isPresent()) {
            String earlier = name.get().isEmpty() ? null : names.putIfAbsent(name.get(), u.path());
            if (name.get().isEmpty()) {
                u.error(UpstreamConfig.NAME, "is empty; expected a unique upstream name");
            } else if (earlier != null) {
                u.error(UpstreamConfig.NAME, "is already the name of " + earlier + "; expected a unique name");
            }
        }

        BalanceType type = null;
        Optional<String> typeText = u.string(UpstreamConfig.TYPE, TYPES);
        if (!u.has(UpstreamConfig.TYPE)) {
            u.errorAt(UpstreamConfig.TYPE, "missing; expected \"rr\" (weighted round robin), \"chash\" (consistent hashing "
                    + "of KeyBytes) or \"quic\" (QUIC-LB connection IDs)");
        } else if (typeText.isPresent()) {
            type = Arrays.stream(BalanceType.values())
                    .filter(t -> t.configName().equalsIgnoreCase(typeText.get()))
                    .findFirst().orElse(null);
            if (type == null) {
                u.error(UpstreamConfig.TYPE, "is not a balancing type; expected " + TYPES);
            }
        }

        KeyBytes keyBytes = keyBytes(u, UpstreamConfig.KEY_BYTES, bufSize);
        int tableSize = u.integer(UpstreamConfig.TABLE_SIZE);
        if (type == BalanceType.CHASH && !u.has(UpstreamConfig.KEY_BYTES)) {
            u.errorAt(UpstreamConfig.KEY_BYTES, "missing; Type \"chash\" hashes these payload bytes, expected " + KEY_BYTES_FORM);
        }
        if (type != null && type != BalanceType.CHASH && u.has(UpstreamConfig.KEY_BYTES)) {
            problems.warning(u.pathOf(UpstreamConfig.KEY_BYTES) + ": ignored; only Type \"chash\" uses it");
        }
        if (type == BalanceType.RR && u.has(UpstreamConfig.TABLE_SIZE.name())) {
            problems.warning(u.pathOf(UpstreamConfig.TABLE_SIZE.name()) + ": ignored; only Types \"chash\" and \"quic\" use it");
        }

        ResolveConfig resolve = u.optionalSection(UpstreamConfig.RESOLVE, ResolveConfig.KEYS).map(this::resolve).orElse(null);
        if (type == BalanceType.QUIC && u.has(UpstreamConfig.RESOLVE)) {
            u.errorAt(UpstreamConfig.RESOLVE, "set on Type \"quic\", whose peers each need their ServerId; expected Peers "
                    + "alone");
        }
        Optional<List<QuicLbConfig>> quicLb = quic.configs(u, type);
        int serverIdLength = quicLb.filter(configs -> !configs.isEmpty()).map(configs -> configs.get(0).serverIdLength())
                .orElse(0);
        List<PeerConfig> peers = peers(u, type, serverIdLength, u.has(UpstreamConfig.RESOLVE));
        boolean tableFits = true;
        String tableKey = UpstreamConfig.TABLE_SIZE.name();
        if (type != null && type.maglev() && u.has(tableKey) && u.get(tableKey).canConvertToInt()) {
            tableFits = false;
            if (!Primes.isPrime(tableSize)) {
                int below = Primes.below(tableSize);
                u.error(tableKey, "is not a prime; expected a prime (Maglev needs one), such as "
                        + (below > 0 ? below + " or " : "") + Primes.above(tableSize));
            } else if (tableSize < peers.size()) {
                u.error(tableKey, "is smaller than the " + peers.size() + " peers; expected a prime of at least "
                        + Primes.above(peers.size() - 1));
            } else {
                tableFits = true;
            }
        }

        HealthCheckConfig health = u.optionalSection(UpstreamConfig.HEALTH_CHECKER, HealthCheckConfig.KEYS).map(this::health).orElse(null);
        Affinity affinity = affinity(u);
        if (type == BalanceType.QUIC && affinity == Affinity.SESSION) {
            u.error(UpstreamConfig.AFFINITY, "does not apply to Type \"quic\", which keeps each connection on the server "
                    + "its connection ID names; expected \"packet\" or no Affinity");
        }
        boolean latch = u.bool(UpstreamConfig.LATCH);
        boolean proxyProtocol = proxyProtocol(u);

        if (name.isEmpty() || type == null || (type == BalanceType.CHASH && keyBytes == null) || !tableFits
                || quicLb.isEmpty() || (type == BalanceType.QUIC && affinity == Affinity.SESSION)) {
            return null;
        }
        return new UpstreamConfig(name.get(), type,
                type == BalanceType.CHASH ? Optional.of(keyBytes) : Optional.empty(),
                tableSize, peers, Optional.ofNullable(health), affinity, latch, proxyProtocol, quicLb.get(), Optional.ofNullable(resolve));
    }

    private boolean proxyProtocol(Section u) {
        String expected = "\"v2\" (a PROXY protocol version 2 header on every datagram), or no key for none";
        Optional<String> text = u.string(UpstreamConfig.PROXY_PROTOCOL, expected);
        if (text.isEmpty() || text.get().equalsIgnoreCase("v2")) {
            return text.isPresent();
        }
        u.error(UpstreamConfig.PROXY_PROTOCOL, "is not a PROXY protocol version for UDP; expected " + expected);
        return false;
    }

    /** {@code Upstream.Resolve}, or null when it has errors (reported). */
    private ResolveConfig resolve(Section r) {
        int errors = problems.errorCount();
        String name = r.string(ResolveConfig.NAME, "a DNS name, e.g. \"backends.example.\"").orElse(null);
        if (!r.has(ResolveConfig.NAME)) {
            r.errorAt(ResolveConfig.NAME, "missing; expected the DNS name whose records name the peers, e.g. \"backends.example.\"");
        } else if (name != null && !DnsNames.valid(name)) {
            r.error(ResolveConfig.NAME, "is not a DNS name; expected dot-separated labels of letters, digits, '-' and '_', "
                    + "each of 1 to 63 characters, at most 253 in all, e.g. \"backends.example.\"");
        }
        String types = "\"A\", \"AAAA\" or \"SRV\"";
        RecordType type = null;
        Optional<String> typeText = r.string(ResolveConfig.TYPE, types);
        if (!r.has(ResolveConfig.TYPE)) {
            r.errorAt(ResolveConfig.TYPE, "missing; expected " + types);
        } else if (typeText.isPresent()) {
            type = Arrays.stream(RecordType.values()).filter(t -> t.name().equalsIgnoreCase(typeText.get()))
                    .findFirst().orElse(null);
            if (type == null) {
                r.error(ResolveConfig.TYPE, "is not a record type; expected " + types);
            }
        }
        String portKey = ResolveConfig.PORT.name();
        int port = 0;
        if (type == RecordType.SRV && r.has(portKey)) {
            r.error(portKey, "is set, but SRV records give each target's port; expected no Port with Type \"SRV\"");
        } else if (type != null && type != RecordType.SRV && !r.has(portKey)) {
            r.errorAt(portKey, "missing; Type \"" + type + "\" records give addresses only, expected the peers' port "
                    + "from 1 to 65535");
        } else if (r.has(portKey)) {
            port = r.integer(ResolveConfig.PORT);
        }
        List<InetSocketAddress> servers = dnsServers(r);
        int interval = r.integer(ResolveConfig.INTERVAL_SEC);
        if (problems.errorCount() > errors) {
            return null;
        }
        return new ResolveConfig(name, type, port, servers, interval);
    }

    /** {@code Resolve.Servers}: empty when absent, the system's resolvers then. */
    private List<InetSocketAddress> dnsServers(Section r) {
        JsonNode node = r.get(ResolveConfig.SERVERS);
        List<InetSocketAddress> servers = new ArrayList<>();
        String example = "127.0.0.53:53";
        if (node == null) {
            return servers;
        }
        if (!node.isArray() || node.isEmpty()) {
            r.error(ResolveConfig.SERVERS, "is not a list of servers; expected [ \"ip:port\", ... ], e.g. [\"" + example
                    + "\"], or no Servers for the system's resolvers");
            return servers;
        }
        for (int i = 0; i < node.size(); i++) {
            String path = r.pathOf(ResolveConfig.SERVERS) + "[" + i + "]";
            JsonNode element = node.get(i);
            String problem = null;
            InetSocketAddress server = null;
            if (!element.isTextual()) {
                problem = "is not a string; expected ip:port or [ipv6]:port, e.g. \"" + example + "\"";
            } else {
                try {
                    server = Addresses.listen(element.textValue(), example);
                    if (server.getAddress().isAnyLocalAddress() || server.getPort() == 0) {
                        problem = "is not a server's address; expected a specific IP and a port from 1 to 65535, e.g. \""
                                + example + "\"";
                    } else if (servers.contains(server)) {
                        problem = "is listed twice; expected each server once";
                    }
                } catch (IllegalArgumentException e) {
                    problems.error(path + ": " + e.getMessage());
                    continue;
                }
            }
            if (problem != null) {
                problems.error(path + ": " + Section.render(element) + " " + problem);
            } else {
                servers.add(server);
            }
        }
        return servers;
    }

    private List<PeerConfig> peers(Section u, BalanceType type, int serverIdLength, boolean resolved) {
        JsonNode node = u.get(UpstreamConfig.PEERS);
        if (node == null && !resolved) {
            u.errorAt(UpstreamConfig.PEERS, "missing; expected at least one peer { \"IP\": ..., \"Port\": ... }");
        } else if (node != null && node.isArray() && node.isEmpty() && !resolved) {
            u.error(UpstreamConfig.PEERS, "is empty; expected at least one peer { \"IP\": ..., \"Port\": ... }");
        }
        List<PeerConfig> peers = new ArrayList<>();
        Map<InetSocketAddress, String> seen = new HashMap<>();
        String backup = null;
        Map<String, String> serverIds = new HashMap<>();
        for (Section.Indexed element : u.objects(UpstreamConfig.PEERS, PeerConfig.KEYS)) {
            Section p = element.section();
            InetAddress ip = null;
            Optional<String> ipText = p.string(PeerConfig.IP, "an IP address");
            if (!p.has(PeerConfig.IP)) {
                p.errorAt(PeerConfig.IP, "missing; expected an IPv4 or IPv6 address, e.g. \"127.0.0.2\"");
            } else if (ipText.isPresent()) {
                ip = Addresses.ip(ipText.get());
                if (ip == null) {
                    p.error(PeerConfig.IP, "is not an IP address; expected an IPv4 or IPv6 literal, e.g. \"127.0.0.2\" (names are not resolved)");
                }
            }
            int port = 0;
            if (!p.has(PeerConfig.PORT.name())) {
                p.errorAt(PeerConfig.PORT.name(), "missing; expected a port from 1 to 65535");
            } else {
                port = p.integer(PeerConfig.PORT);
            }
            int weight = p.integer(PeerConfig.WEIGHT);
            boolean isBackup = p.bool(PeerConfig.BACKUP);
            boolean drain = p.bool(PeerConfig.DRAIN);
            byte[] serverId = quic.serverId(p, type, serverIdLength, serverIds);
            boolean secondBackup = isBackup && backup != null;
            if (secondBackup) {
                p.errorAt(PeerConfig.BACKUP.name(), "true makes a second backup peer (" + backup + " is one); expected at most one backup per upstream");
            } else if (isBackup) {
                backup = p.path();
            }
            if (ip == null || port < PeerConfig.PORT.min()) {
                continue;
            }
            InetSocketAddress address = new InetSocketAddress(ip, port);
            if (listenAddr != null && Addresses.reachesListener(listenAddr, address)) {
                problems.error(p.path() + ": " + Addresses.format(address) + " is Stevedore's own Server.ListenAddr "
                        + Addresses.format(listenAddr) + "; expected a backend's address: every datagram sent there would "
                        + "come back as a client's, without end");
            }
            String earlier = seen.putIfAbsent(address, p.path());
            if (earlier != null) {
                problems.error(p.path() + ": " + Addresses.format(address) + " is already " + earlier
                        + "; expected each IP:Port once per upstream");
            }
            // A peer already reported stays out: an UpstreamConfig holds only a well-formed peer set.
            if (earlier == null && !secondBackup && (serverId != null || type != BalanceType.QUIC)) {
                peers.add(new PeerConfig(address, weight, isBackup, drain, serverId));
            }
        }
        if (peers.size() == 1 && peers.get(0).backup()) {
            problems.warning(u.pathOf(UpstreamConfig.PEERS) + ": the only peer is the backup, so it takes all the traffic");
        }
        if (!peers.isEmpty() && peers.stream().allMatch(PeerConfig::drain)) {
            problems.warning(u.pathOf(UpstreamConfig.PEERS) + ": every peer drains, so new sessions are dropped (no_peer)"
                    + " while the live ones keep their peers");
        }
        return peers;
    }

    private HealthCheckConfig health(Section h) {
        int interval = h.integer(HealthCheckConfig.HEARTBEAT_INTERVAL_SEC);
        int timeout = h.integer(HealthCheckConfig.HEARTBEAT_TIMEOUT_SEC);
        int successTimes = h.integer(HealthCheckConfig.SUCCESS_TIMES);
        int failedTimes = h.integer(HealthCheckConfig.FAILED_TIMES);
        if (timeout > interval) {
            String timeoutKey = HealthCheckConfig.HEARTBEAT_TIMEOUT_SEC.name();
            h.errorAt(timeoutKey, timeout + (h.has(timeoutKey) ? "" : " (the default)") + " is longer than HeartbeatIntervalSec " + interval
                    + "; expected at most the interval, so a probe ends before the next one starts");
        }
        byte[] send = payload(h, HealthCheckConfig.SEND)
                .orElse(HealthCheckConfig.DEFAULT_SEND.getBytes(StandardCharsets.UTF_8));
        Optional<byte[]> expect = payload(h, HealthCheckConfig.EXPECT);
        return new HealthCheckConfig(interval, timeout, successTimes, failedTimes, send, expect);
    }

    private Optional<byte[]> payload(Section h, String key) {
        Optional<String> text = h.string(key, "0x followed by hex bytes, or text");
        try {
            return text.map(ByteLiterals::payload);
        } catch (IllegalArgumentException e) {
            h.errorAt(key, e.getMessage());
            return Optional.empty();
        }
    }

    private Affinity affinity(Section u) {
        Optional<String> text = u.string(UpstreamConfig.AFFINITY, "\"packet\" or \"session\"");
        if (text.isEmpty()) {
            return Affinity.PACKET;
        }
        for (Affinity affinity : Affinity.values()) {
            if (affinity.name().equalsIgnoreCase(text.get())) {
                return affinity;
            }
        }
        u.error(UpstreamConfig.AFFINITY, "is not an affinity; expected \"packet\" (a peer per datagram) or \"session\" (a peer per session)");
        return Affinity.PACKET;
    }

    private LogConfig log(Section l) {
        String path = l.string(LogConfig.PATH, "a file path, or \"\" for the console").orElse("");
        if (path.indexOf('%') >= 0) {
            l.error(LogConfig.PATH, "contains '%'; expected a file path without '%' (rotated files are named after it)");
        }
        String level = LogConfig.DEFAULT_LEVEL;
        Optional<String> levelText = l.string(LogConfig.LEVEL, "one of " + String.join(", ", LEVELS));
        if (levelText.isPresent()) {
            String lower = levelText.get().toLowerCase(Locale.ROOT);
            if (LEVELS.contains(lower)) {
                level = lower;
            } else if (lower.equals("warning")) {
                level = "warn";
            } else if (lower.equals("fatal") || lower.equals("panic")) {
                // logrus levels of the original, above error; error is the quietest level here.
                level = "error";
                problems.note(l.pathOf(LogConfig.LEVEL) + " " + Section.quote(levelText.get()) + " logs as \"error\"");
            } else {
                l.error(LogConfig.LEVEL, "is not a log level; expected one of " + String.join(", ", LEVELS));
            }
        }
        boolean verbose = l.bool(LogConfig.VERBOSE);
        int maxAge = l.integer(LogConfig.MAX_AGE_HOUR);
        int rotation = l.integer(LogConfig.ROTATION_TIME_HOUR);
        if (!path.isEmpty() && maxAge < rotation) {
            problems.note(l.pathOf(LogConfig.MAX_AGE_HOUR.name()) + " " + maxAge + " is shorter than RotationTimeHour " + rotation
                    + ": a rotated file is pruned at the next rotation");
        }
        String accessPath = l.string(LogConfig.ACCESS_PATH, "a file path, or absent for no access log").orElse("");
        if (accessPath.indexOf('%') >= 0) {
            l.error(LogConfig.ACCESS_PATH, "contains '%'; expected a file path without '%' (rotated files are named after it)");
        } else if (!accessPath.isEmpty() && accessPath.equals(path)) {
            // Two appenders rotating one file would rename it under each other.
            l.error(LogConfig.ACCESS_PATH, "is Log.Path; expected a file of its own");
        }
        return new LogConfig(path, level, verbose, maxAge, rotation, accessPath);
    }

    private Optional<AdminConfig> admin(Section top) {
        Optional<Section> admin = top.optionalSection(StevedoreConfig.ADMIN, AdminConfig.KEYS);
        Optional<Section> pprof = top.optionalSection(StevedoreConfig.PPROF, AdminConfig.PPROF_KEYS);
        if (admin.isPresent()) {
            Section a = admin.get();
            if (pprof.isPresent() && pprof.get().has(AdminConfig.PPROF_SERVER_ADDR)) {
                problems.note(pprof.get().pathOf(AdminConfig.PPROF_SERVER_ADDR) + ": ignored; Admin.ListenAddr serves the admin endpoint");
            }
            if (!a.has(AdminConfig.LISTEN_ADDR)) {
                a.errorAt(AdminConfig.LISTEN_ADDR, "missing; expected ip:port or [ipv6]:port, e.g. \"127.0.0.1:2615\"");
                return Optional.empty();
            }
            return Optional.ofNullable(address(a, AdminConfig.LISTEN_ADDR, null, "127.0.0.1:2615")).map(AdminConfig::new);
        }
        if (pprof.isEmpty() || !pprof.get().has(AdminConfig.PPROF_SERVER_ADDR)) {
            return Optional.empty();
        }
        Section p = pprof.get();
        if (!p.bool(AdminConfig.PPROF_OPEN)) {
            problems.note(p.pathOf(AdminConfig.PPROF_OPEN.name()) + " is false: no admin endpoint");
            return Optional.empty();
        }
        InetSocketAddress address = address(p, AdminConfig.PPROF_SERVER_ADDR, null, "127.0.0.1:6060");
        if (address != null) {
            problems.note(p.pathOf(AdminConfig.PPROF_SERVER_ADDR) + " " + Section.render(p.get(AdminConfig.PPROF_SERVER_ADDR))
                    + " serves the admin endpoint (/metrics, /status, /healthz), since Admin is absent");
        }
        return Optional.ofNullable(address).map(AdminConfig::new);
    }

    /** The listen address at {@code key}, or {@code fallback} when absent or invalid (the latter reported). */
    private static InetSocketAddress address(Section s, String key, InetSocketAddress fallback, String example) {
        Optional<String> text = s.string(key, "ip:port or [ipv6]:port, e.g. \"" + example + "\"");
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            return Addresses.listen(text.get(), example);
        } catch (IllegalArgumentException e) {
            s.errorAt(key, e.getMessage());
            return fallback;
        }
    }

    private static String bytes(int n) {
        return n == 1 ? "1 byte" : n + " bytes";
    }
}
