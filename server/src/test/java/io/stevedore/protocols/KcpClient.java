package io.stevedore.protocols;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A KCP client on one UDP socket, so one client port, running any number of conversations toward
 * one server address. Each {@link Transfer} sends a payload as messages and reads it back from an
 * echoing server, digesting what returns.
 */
final class KcpClient extends KcpEndpoint {

    /** 16 KiB: 12 fragments of a 1400-byte MTU, well inside the receive window. */
    private static final int MESSAGE_SIZE = 16 * 1024;
    /** Fragments queued ahead of acknowledgement: enough to keep the window full. */
    private static final int QUEUE_AHEAD = 512;

    private final InetSocketAddress server;
    private final List<Transfer> active = new ArrayList<>();

    /** One payload sent on one conversation and echoed back. */
    final class Transfer {
        private final int conv;
        private final byte[] payload;
        private final MessageDigest echoDigest = TestData.newSha256();
        private final AtomicLong echoed = new AtomicLong();
        private final CompletableFuture<String> done = new CompletableFuture<>();
        private Conversation conversation;
        private int sent;
        /** Sending stops here until {@link #resume()}; endpoint thread only. */
        private int holdAt;

        private Transfer(int conv, byte[] payload, int holdAt) {
            this.conv = conv;
            this.payload = payload;
            this.holdAt = holdAt;
        }

        /** Bytes echoed back so far. */
        long echoed() {
            return echoed.get();
        }

        boolean isDone() {
            return done.isDone();
        }

        /** Sends the rest of a payload held by {@link KcpClient#transferHeld}. */
        void resume() {
            execute(() -> holdAt = payload.length);
        }

        /** Waits for the whole payload to come back and returns the SHA-256 of what came back. */
        String awaitEchoDigest(Duration timeout) throws InterruptedException {
            try {
                return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return fail("conv " + conv + ": " + echoed() + " of " + payload.length + " bytes echoed after "
                        + timeout.toSeconds() + " s (" + name() + " failure: " + failure() + ")");
            } catch (ExecutionException e) {
                return fail("conv " + conv + " failed", e.getCause());
            }
        }

        private void pump() {
            while (sent < holdAt && conversation.unacknowledged() < QUEUE_AHEAD) {
                int length = Math.min(MESSAGE_SIZE, holdAt - sent);
                ByteBuf message = Unpooled.wrappedBuffer(payload, sent, length);
                try {
                    conversation.send(message);
                } finally {
                    message.release();
                }
                sent += length;
            }
        }

        private void onEcho(ByteBuf message) {
            int length = message.readableBytes();
            echoDigest.update(message.nioBuffer());
            long total = echoed.addAndGet(length);
            if (total > payload.length) {
                done.completeExceptionally(new AssertionError("conv " + conv + ": " + total
                        + " bytes echoed for a payload of " + payload.length));
            } else if (total == payload.length) {
                done.complete(HexFormat.of().formatHex(echoDigest.digest()));
            }
        }
    }

    private KcpClient(InetSocketAddress server) {
        super("kcp-client", new InetSocketAddress(Loopback.CLIENT, 0));
        this.server = server;
    }

    /** A client bound to an ephemeral port of 127.0.0.1, talking to {@code server}. */
    static KcpClient start(InetSocketAddress server) {
        KcpClient client = new KcpClient(server);
        client.start();
        return client;
    }

    /** Starts sending {@code payload} on conversation {@code conv}. */
    Transfer transfer(int conv, byte[] payload) {
        return transferHeld(conv, payload, payload.length);
    }

    /**
     * Starts sending {@code payload} on conversation {@code conv} but holds after its first
     * {@code holdAt} bytes, the conversation open and idle, until {@link Transfer#resume()}.
     */
    Transfer transferHeld(int conv, byte[] payload, int holdAt) {
        Transfer transfer = new Transfer(conv, payload, holdAt);
        execute(() -> {
            if (conversation(conv) != null) {
                transfer.done.completeExceptionally(new IllegalStateException("conv " + conv + " is already open"));
                return;
            }
            transfer.conversation = open(conv, server);
            active.add(transfer);
        });
        return transfer;
    }

    @Override
    Conversation conversationFor(int conv, InetSocketAddress from) {
        return conversation(conv);
    }

    @Override
    void onMessage(Conversation conversation, ByteBuf message) {
        for (Transfer transfer : active) {
            if (transfer.conversation == conversation) {
                transfer.onEcho(message);
                return;
            }
        }
    }

    @Override
    void pump() {
        for (Transfer transfer : active) {
            transfer.pump();
        }
    }
}
