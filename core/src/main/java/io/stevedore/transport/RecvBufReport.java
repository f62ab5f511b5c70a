package io.stevedore.transport;

import io.netty.channel.socket.DatagramChannel;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says once what the kernel granted for each {@code RecvBufBytes} asked: Linux doubles a SO_RCVBUF
 * request and caps it at {@code net.core.rmem_max}, silently, so the queue a setting allows is only
 * known once a socket has it. One per daemon, shared by its loops; a new value (a reload of
 * {@code Session.RecvBufBytes}) is reported again.
 */
final class RecvBufReport {

    enum Kind {
        LISTENER("Server.RecvBufBytes", "listening sockets"),
        SESSION("Session.RecvBufBytes", "session sockets");

        final String key;
        final String sockets;

        Kind(String key, String sockets) {
            this.key = key;
            this.sockets = sockets;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(RecvBufReport.class);

    /** The value last reported per kind; 0 before the first. */
    private final AtomicIntegerArray reported = new AtomicIntegerArray(Kind.values().length);

    /** Reports what {@code channel}, just asked for {@code asked} bytes, got, unless that value was reported already. */
    void granted(Kind kind, int asked, DatagramChannel channel) {
        int last = reported.get(kind.ordinal());
        if (last == asked || !reported.compareAndSet(kind.ordinal(), last, asked)) {
            return;
        }
        int granted = channel.config().getReceiveBufferSize();
        if ((long) granted < 2L * asked) {
            log.warn("{} {}: the kernel granted the {} {} bytes of receive buffer, capped by net.core.rmem_max; "
                    + "raise it (sysctl net.core.rmem_max) for the queue asked", kind.key, asked, kind.sockets, granted);
        } else {
            log.info("{} {}: the kernel granted the {} {} bytes of receive buffer (twice the request: half of it "
                    + "is the kernel's bookkeeping per datagram)", kind.key, asked, kind.sockets, granted);
        }
    }
}
