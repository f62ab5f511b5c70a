package io.stevedore.transport;

import static io.stevedore.transport.SendFailure.ICMP_REPORT;
import static io.stevedore.transport.SendFailure.PATH_MTU_REPORT;
import static io.stevedore.transport.SendFailure.PEER_FAILED;
import static io.stevedore.transport.SendFailure.SOCKET_CLOSED;
import static io.stevedore.transport.SendFailure.TOO_LARGE;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.unix.Errors;
import io.stevedore.metrics.DropReason;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The send-failure policy as a table: errno, the datagram's size, a retry after a report → the outcome. */
class SendFailureTest {

    private static final int SMALL = 100;
    private static final int V4 = SocketErrors.MAX_IPV4_PAYLOAD;
    private static final int OVER_V4 = V4 + 1;

    /** Linux errno values the table names that {@link SocketErrors} has no constant for. */
    private static final int EPERM = 1;
    private static final int EBADF = 9;
    private static final int EAGAIN = 11;
    private static final int ENOMEM = 12;
    private static final int EACCES = 13;
    private static final int EINVAL = 22;
    private static final int EDESTADDRREQ = 89;
    private static final int EAFNOSUPPORT = 97;
    private static final int EADDRNOTAVAIL = 99;
    private static final int ENETDOWN = 100;
    private static final int ECONNRESET = 104;
    private static final int ENOBUFS = 105;

    static Stream<Arguments> errnos() {
        return Stream.of(
                // errno, bytes, the largest payload to the peer, sent again after a report, outcome
                Arguments.of(SocketErrors.ECONNREFUSED, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.ECONNREFUSED, SMALL, V4, true, ICMP_REPORT),
                Arguments.of(SocketErrors.EHOSTUNREACH, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.EHOSTUNREACH, SMALL, V4, true, PEER_FAILED),
                Arguments.of(SocketErrors.ENETUNREACH, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.ENETUNREACH, SMALL, V4, true, PEER_FAILED),
                Arguments.of(SocketErrors.EHOSTDOWN, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.EHOSTDOWN, SMALL, V4, true, ICMP_REPORT),
                Arguments.of(SocketErrors.ENONET, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.EPROTO, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.ENOPROTOOPT, SMALL, V4, false, ICMP_REPORT),
                Arguments.of(SocketErrors.EOPNOTSUPP, SMALL, V4, true, ICMP_REPORT),
                Arguments.of(SocketErrors.EMSGSIZE, SMALL, V4, false, PATH_MTU_REPORT),
                Arguments.of(SocketErrors.EMSGSIZE, SMALL, V4, true, PATH_MTU_REPORT),
                Arguments.of(SocketErrors.EMSGSIZE, V4, V4, false, PATH_MTU_REPORT),
                Arguments.of(SocketErrors.EMSGSIZE, OVER_V4, V4, false, TOO_LARGE),
                Arguments.of(SocketErrors.EMSGSIZE, OVER_V4, SocketErrors.MAX_IPV6_PAYLOAD, false, PATH_MTU_REPORT),
                Arguments.of(EPERM, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EACCES, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EINVAL, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EADDRNOTAVAIL, SMALL, V4, false, PEER_FAILED),
                Arguments.of(ENETDOWN, SMALL, V4, false, PEER_FAILED),
                Arguments.of(ENOBUFS, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EAGAIN, SMALL, V4, false, PEER_FAILED),
                Arguments.of(ECONNRESET, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EAFNOSUPPORT, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EDESTADDRREQ, SMALL, V4, false, PEER_FAILED),
                Arguments.of(ENOMEM, SMALL, V4, false, PEER_FAILED),
                Arguments.of(EBADF, SMALL, V4, false, PEER_FAILED),
                Arguments.of(0, SMALL, V4, false, PEER_FAILED),
                Arguments.of(0, OVER_V4, V4, false, PEER_FAILED));
    }

    @ParameterizedTest(name = "errno {0}, {1} bytes, max {2}, after a report {3}: {4}")
    @MethodSource("errnos")
    void anErrnoOfANativeSendDecidesTheOutcome(int errno, int bytes, int maxPayload, boolean afterReport,
            SendFailure expected) {
        assertThat(SendFailure.of(errno, bytes, maxPayload, afterReport)).isEqualTo(expected);
        assertThat(SendFailure.of(Errors.newIOException("sendmsg", -errno), false, bytes, maxPayload, afterReport))
                .as("the same errno, carried by Netty's native exception").isEqualTo(expected);
    }

    static Stream<Arguments> exceptions() {
        return Stream.of(
                Arguments.of(new ClosedChannelException(), false, SOCKET_CLOSED),
                Arguments.of(Errors.newIOException("sendmsg", -SocketErrors.ECONNREFUSED), true, SOCKET_CLOSED),
                Arguments.of(new PortUnreachableException(), false, ICMP_REPORT),
                Arguments.of(new SocketException("Message too long"), false, PATH_MTU_REPORT),
                Arguments.of(new SocketException("Network is unreachable"), false, PEER_FAILED),
                Arguments.of(new IOException("anything else"), false, PEER_FAILED));
    }

    @ParameterizedTest(name = "{0}, session closed {1}: {2}")
    @MethodSource("exceptions")
    void whatTheExceptionCarriesDecidesTheOutcome(Throwable cause, boolean sessionClosed, SendFailure expected) {
        assertThat(SendFailure.of(cause, sessionClosed, SMALL, V4, false)).isEqualTo(expected);
    }

    static Stream<Arguments> outcomes() {
        return Stream.of(
                Arguments.of(SOCKET_CLOSED, DropReason.SEND_ERROR, SendFailure.Blame.NOBODY, false),
                Arguments.of(TOO_LARGE, DropReason.OVERSIZE, SendFailure.Blame.NOBODY, false),
                Arguments.of(PATH_MTU_REPORT, null, SendFailure.Blame.NOBODY, true),
                Arguments.of(ICMP_REPORT, null, SendFailure.Blame.SESSION_HISTORY, true),
                Arguments.of(PEER_FAILED, null, SendFailure.Blame.THIS_PEER, false));
    }

    @ParameterizedTest(name = "{0}: dropped as {1}, blames {2}, a report {3}")
    @MethodSource("outcomes")
    void eachOutcomeSaysWhatIsCountedAndWhoIsBlamed(SendFailure failure, DropReason dropped,
            SendFailure.Blame blame, boolean report) {
        assertThat(failure.dropped).isEqualTo(dropped);
        assertThat(failure.blame).isEqualTo(blame);
        assertThat(failure.report()).isEqualTo(report);
    }
}
