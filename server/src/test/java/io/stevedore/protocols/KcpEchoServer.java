package io.stevedore.protocols;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A KCP backend: accepts any conversation a datagram opens and echoes every message back on it.
 * It counts the datagrams of each conv id it sees, so a test can tell which backend carried which
 * conversation.
 */
final class KcpEchoServer extends KcpEndpoint {

    private final Map<Integer, LongAdder> datagramsByConv = new ConcurrentHashMap<>();

    private KcpEchoServer(String name, InetSocketAddress bind) {
        super(name, bind);
    }

    static KcpEchoServer start(String name, InetSocketAddress bind) {
        KcpEchoServer server = new KcpEchoServer(name, bind);
        server.start();
        return server;
    }

    /** Datagrams received so far, by conv id. */
    Map<Integer, Long> datagramsByConv() {
        Map<Integer, Long> snapshot = new TreeMap<>();
        datagramsByConv.forEach((conv, count) -> snapshot.put(conv, count.sum()));
        return snapshot;
    }

    long datagrams(int conv) {
        LongAdder count = datagramsByConv.get(conv);
        return count == null ? 0 : count.sum();
    }

    @Override
    Conversation conversationFor(int conv, InetSocketAddress from) {
        datagramsByConv.computeIfAbsent(conv, c -> new LongAdder()).increment();
        Conversation conversation = conversation(conv);
        if (conversation == null) {
            conversation = open(conv, from);
        }
        // Like the reference servers, answer where the conversation last spoke from.
        conversation.remote = from;
        return conversation;
    }

    @Override
    void onMessage(Conversation conversation, ByteBuf message) {
        conversation.send(message);
    }

    @Override
    public String toString() {
        return name() + "@" + localAddress();
    }
}
