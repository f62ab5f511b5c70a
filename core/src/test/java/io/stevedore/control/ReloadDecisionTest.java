package io.stevedore.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.stevedore.config.ConfigLoader;
import io.stevedore.config.StevedoreConfig;
import io.stevedore.control.ReloadDecision.Change;
import io.stevedore.control.ReloadDecision.Checker;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a reload keeps, adds, retires and restarts, from two configurations alone: no socket, no thread. */
class ReloadDecisionTest {

    private static final String A2 = "{'IP': '127.0.0.2', 'Port': 4001}";
    private static final String A3 = "{'IP': '127.0.0.3', 'Port': 4001}";
    private static final String V6 = "{'IP': '::1', 'Port': 4001}";
    private static final String CHECK = "'HealthChecker': {'HeartbeatIntervalSec': 5}";
    private static final String CHECK_FASTER = "'HealthChecker': {'HeartbeatIntervalSec': 4}";

    /** An rr upstream named {@code name} with {@code peers}, and {@code more} keys if not empty. */
    private static String rr(String name, String more, String... peers) {
        return "{'Name': '" + name + "', 'Type': 'rr', 'Peers': [" + String.join(", ", peers) + "]"
                + (more.isEmpty() ? "" : ", " + more) + "}";
    }

    private static StevedoreConfig config(String sections, String... upstreams) throws Exception {
        String json = "{" + (sections.isEmpty() ? "" : sections + ", ") + "'Upload': {'DefaultUpstream': 'deny', "
                + "'Upstreams': [" + String.join(", ", upstreams) + "]}}";
        return ConfigLoader.parse(json.replace('\'', '"')).config();
    }

    /** A decision's entries as "key VALUE, …", in its order. */
    private static String listed(Map<?, ?> decided) {
        return decided.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    private static StevedoreConfig upstreams(String... upstreams) throws Exception {
        return config("", upstreams);
    }

    static Stream<Arguments> peers() throws Exception {
        return Stream.of(
                Arguments.of("the same file",
                        upstreams(rr("pool", "", A2, A3)), upstreams(rr("pool", "", A2, A3)),
                        "pool/127.0.0.2:4001 KEPT, pool/127.0.0.3:4001 KEPT"),
                Arguments.of("a peer added",
                        upstreams(rr("pool", "", A2)), upstreams(rr("pool", "", A2, A3)),
                        "pool/127.0.0.2:4001 KEPT, pool/127.0.0.3:4001 ADDED"),
                Arguments.of("a peer removed",
                        upstreams(rr("pool", "", A2, A3)), upstreams(rr("pool", "", A3)),
                        "pool/127.0.0.2:4001 RETIRED, pool/127.0.0.3:4001 KEPT"),
                Arguments.of("peers reordered: matched by address, not position",
                        upstreams(rr("pool", "", A2, A3)), upstreams(rr("pool", "", A3, A2)),
                        "pool/127.0.0.2:4001 KEPT, pool/127.0.0.3:4001 KEPT"),
                Arguments.of("a peer moved to another upstream is another peer",
                        upstreams(rr("one", "", A2), rr("two", "", A3)), upstreams(rr("one", "", A3), rr("two", "", A3)),
                        "one/127.0.0.2:4001 RETIRED, two/127.0.0.3:4001 KEPT, one/127.0.0.3:4001 ADDED"),
                Arguments.of("an upstream renamed: its peers retired and added",
                        upstreams(rr("old", "", A2)), upstreams(rr("new", "", A2)),
                        "old/127.0.0.2:4001 RETIRED, new/127.0.0.2:4001 ADDED"),
                Arguments.of("an upstream removed",
                        upstreams(rr("one", "", A2), rr("two", "", A3)), upstreams(rr("two", "", A3)),
                        "one/127.0.0.2:4001 RETIRED, two/127.0.0.3:4001 KEPT"),
                Arguments.of("a weight changed: the peer is kept",
                        upstreams(rr("pool", "", A2)),
                        upstreams(rr("pool", "", "{'IP': '127.0.0.2', 'Port': 4001, 'Weight': 5}")),
                        "pool/127.0.0.2:4001 KEPT"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("peers")
    void peersAreKeptAddedOrRetiredByUpstreamNameAndAddress(String what, StevedoreConfig before,
            StevedoreConfig after, String expected) {
        assertThat(listed(ReloadDecision.of(before, after).peers())).isEqualTo(expected);
    }

    static Stream<Arguments> checkers() throws Exception {
        return Stream.of(
                Arguments.of("unchanged: probes go on",
                        upstreams(rr("pool", CHECK, A2)), upstreams(rr("pool", CHECK, A2, A3)), "pool KEPT"),
                Arguments.of("changed: probes start over",
                        upstreams(rr("pool", CHECK, A2)), upstreams(rr("pool", CHECK_FASTER, A2)), "pool RESTARTED"),
                Arguments.of("PROXY header turned on: probes start over with a LOCAL header",
                        upstreams(rr("pool", CHECK, A2)), upstreams(rr("pool", CHECK + ", 'ProxyProtocol': 'v2'", A2)),
                        "pool RESTARTED"),
                Arguments.of("added",
                        upstreams(rr("pool", "", A2)), upstreams(rr("pool", CHECK, A2)), "pool STARTED"),
                Arguments.of("removed from its upstream",
                        upstreams(rr("pool", CHECK, A2)), upstreams(rr("pool", "", A2)), "pool STOPPED"),
                Arguments.of("its upstream removed",
                        upstreams(rr("gone", CHECK, A2), rr("pool", "", A3)), upstreams(rr("pool", "", A3)),
                        "gone STOPPED"),
                Arguments.of("its upstream renamed: a checker of another upstream",
                        upstreams(rr("old", CHECK, A2)), upstreams(rr("new", CHECK, A2)), "old STOPPED, new STARTED"),
                Arguments.of("no checker before or after",
                        upstreams(rr("pool", "", A2)), upstreams(rr("pool", "", A3)), ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checkers")
    void healthCheckersAreKeptOnlyWhenTheirSettingsAreUnchanged(String what, StevedoreConfig before,
            StevedoreConfig after, String expected) {
        assertThat(listed(ReloadDecision.of(before, after).checkers())).isEqualTo(expected);
    }

    static Stream<Arguments> sessionSockets() throws Exception {
        return Stream.of(
                Arguments.of("IPv4 peers only", upstreams(rr("pool", "", A2)), upstreams(rr("pool", "", A3)), false),
                Arguments.of("IPv6 peers come to IPv4 sockets",
                        upstreams(rr("pool", "", A2)), upstreams(rr("pool", "", A2, V6)), true),
                Arguments.of("IPv6 sockets reach IPv4 peers as mapped addresses",
                        upstreams(rr("pool", "", V6)), upstreams(rr("pool", "", A2, V6)), false),
                Arguments.of("IPv4 peers come to sockets bound to an IPv6 SourceAddrs",
                        config("'Session': {'SourceAddrs': ['::1']}", rr("pool", "", V6)), upstreams(rr("pool", "", A2)),
                        true),
                Arguments.of("IPv6 peers stay with sockets bound to an IPv6 SourceAddrs",
                        config("'Session': {'SourceAddrs': ['::1']}", rr("pool", "", V6)), upstreams(rr("pool", "", V6)),
                        false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sessionSockets")
    void liveSessionSocketsAreReopenedOnlyWhenTheyCannotReachTheNewPeers(String what, StevedoreConfig before,
            StevedoreConfig after, boolean reopen) {
        assertThat(ReloadDecision.of(before, after).reopenSessions()).isEqualTo(reopen);
    }

    /** One upstream and the {@code Session} section {@code section}. */
    private static StevedoreConfig session(String section) throws Exception {
        return config("'Session': " + section, rr("pool", "", A2));
    }

    static Stream<Arguments> sessionSections() throws Exception {
        return Stream.of(
                Arguments.of("unchanged", session("{'MaxSessions': 10}"), session("{'MaxSessions': 10}"), false, false),
                Arguments.of("a timeout only", session("{'TimeoutSec': 30}"), session("{'TimeoutSec': 5}"), false, false),
                Arguments.of("MaxSessions", session("{'MaxSessions': 10}"), session("{'MaxSessions': 20}"), true, false),
                Arguments.of("a source address added", session("{'SourceAddrs': ['127.0.0.1']}"),
                        session("{'SourceAddrs': ['127.0.0.1', '127.0.0.5']}"), true, true),
                Arguments.of("a source address replaced", session("{'SourceAddrs': ['127.0.0.1']}"),
                        session("{'SourceAddrs': ['127.0.0.5']}"), false, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sessionSections")
    void theSessionBudgetIsCheckedAgainOnlyWhenItsTermsChange(String what, StevedoreConfig before,
            StevedoreConfig after, boolean budget, boolean sources) {
        ReloadDecision decision = ReloadDecision.of(before, after);

        assertThat(decision.sessionBudgetChanged()).as("budget").isEqualTo(budget);
        assertThat(decision.sourceAddrsChanged()).as("source addresses").isEqualTo(sources);
    }

    @Test
    void listeningSettingsLogAndAdminKeepTheirRunningValuesAndSayWhy() throws Exception {
        StevedoreConfig before = config("'Server': {'ListenAddr': '127.0.0.1:2614', 'ListenParallel': 1, 'BatchSize': 32, "
                + "'BufSize': 4096, 'MaxTryTimes': 3}, 'Log': {'Level': 'info'}", rr("pool", "", A2));
        StevedoreConfig after = config("'Server': {'ListenAddr': '127.0.0.1:2615', 'ListenParallel': 2, 'BatchSize': 8, "
                + "'BufSize': 1500, 'MaxTryTimes': 1, 'RecvBufBytes': 65536, 'FloodRecvBufBytes': 32768, "
                + "'AdaptiveBatch': false, 'ProxyProtocolFrom': ['127.0.0.8']}, "
                + "'Session': {'TimeoutSec': 5}, 'Log': {'Level': 'debug'}, "
                + "'Admin': {'ListenAddr': '127.0.0.1:9000'}", rr("pool", "", A2));

        ReloadDecision decision = ReloadDecision.of(before, after);

        assertThat(decision.needRestart()).containsExactly(
                "Server.ListenAddr changed from 127.0.0.1:2614 to 127.0.0.1:2615: the listening sockets keep "
                        + "127.0.0.1:2614 until a restart",
                "Server.ListenParallel changed from 1 to 2: the listening sockets keep 1 until a restart",
                "Server.BatchSize changed from 32 to 8: the listening sockets keep 32 until a restart",
                "Server.BufSize changed from 4096 to 1500: the listening sockets keep 4096 until a restart",
                "Server.RecvBufBytes changed from 131072 to 65536: the listening sockets keep 131072 until a restart",
                "Server.FloodRecvBufBytes changed from 65536 to 32768: the listening sockets keep 65536 until a restart",
                "Server.AdaptiveBatch changed from true to false: the listening sockets keep true until a restart");
        StevedoreConfig applied = decision.applied();
        assertThat(applied.server().listenAddr()).isEqualTo(before.server().listenAddr());
        assertThat(List.of(applied.server().listenParallel(), applied.server().batchSize(), applied.server().bufSize()))
                .containsExactly(1, 32, 4096);
        assertThat(applied.server().maxTryTimes()).as("MaxTryTimes changes live").isEqualTo(1);
        assertThat(applied.server().proxyProtocolFrom()).as("ProxyProtocolFrom changes live")
                .isEqualTo(after.server().proxyProtocolFrom());
        assertThat(applied.session()).isEqualTo(after.session());
        assertThat(applied.upload()).isEqualTo(after.upload());
        assertThat(applied.log()).isEqualTo(before.log());
        assertThat(applied.admin()).isEqualTo(before.admin());
    }

    @Test
    void theSameFileNeedsNoRestart() throws Exception {
        StevedoreConfig config = upstreams(rr("pool", CHECK, A2));

        ReloadDecision decision = ReloadDecision.of(config, config);

        assertThat(decision.needRestart()).isEmpty();
        assertThat(decision.peers(Change.KEPT)).hasSize(1);
        assertThat(decision.checkers(Checker.KEPT)).containsExactly("pool");
        assertThat(decision.reopenSessions()).isFalse();
    }
}
