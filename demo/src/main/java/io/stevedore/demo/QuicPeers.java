package io.stevedore.demo;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.stevedore.quic.QuicLbConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;

/**
 * Real QUIC endpoints for {@code stevedore demo quic} and the QUIC tests, from Netty's QUIC codec (quiche and BoringSSL): servers that issue
 * QUIC-LB connection IDs and answer each stream's line with their name and the line, and clients
 * that open a connection and exchange lines over it. The servers' certificate is made once by the
 * JDK's keytool; the clients trust any certificate.
 */
public final class QuicPeers {

    private static final String PROTOCOL = "stevedore-test";
    private static final String PASSWORD = "stevedore";
    private static KeyManagerFactory keys;

    private QuicPeers() {
    }

    /** A QUIC server bound to {@code ip}, issuing connection IDs with {@code serverId} under {@code config}. */
    public static final class Server implements AutoCloseable {

        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel channel;
        private final AtomicInteger connections = new AtomicInteger();

        public Server(String ip, String name, QuicLbConfig config, byte[] serverId) throws Exception {
            QuicSslContext tls = QuicSslContextBuilder.forServer(keyManagers(), PASSWORD)
                    .applicationProtocols(PROTOCOL).build();
            ChannelHandler codec = new QuicServerCodecBuilder().sslContext(tls)
                    .maxIdleTimeout(10, TimeUnit.SECONDS)
                    .initialMaxData(1 << 20).initialMaxStreamDataBidirectionalRemote(1 << 16)
                    .initialMaxStreamsBidirectional(100)
                    .localConnectionIdLength(config.connectionIdLength())
                    .connectionIdAddressGenerator(new QuicLbConnectionIds(config, serverId))
                    .handler(new Counting(connections))
                    .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                        @Override
                        protected void initChannel(QuicStreamChannel stream) {
                            stream.pipeline().addLast(new LineBasedFrameDecoder(1024), new Answer(name));
                        }
                    })
                    .build();
            channel = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(new InetSocketAddress(ip, 0)).sync().channel();
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) channel.localAddress();
        }

        /** Connections this server has accepted. */
        public int connections() {
            return connections.get();
        }

        @Override
        public void close() {
            channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /** A QUIC client on {@code localIp} with one connection to {@code target}. */
    public static final class Client implements AutoCloseable {

        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel channel;
        private final QuicChannel connection;

        public Client(String localIp, InetSocketAddress target) throws Exception {
            QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocols(PROTOCOL).build();
            ChannelHandler codec = new QuicClientCodecBuilder().sslContext(tls)
                    .maxIdleTimeout(10, TimeUnit.SECONDS)
                    .initialMaxData(1 << 20).initialMaxStreamDataBidirectionalLocal(1 << 16)
                    .build();
            channel = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(new InetSocketAddress(localIp, 0)).sync().channel();
            connection = QuicChannel.newBootstrap(channel).streamHandler(new ChannelInboundHandlerAdapter())
                    .remoteAddress(target).connect().get(5, TimeUnit.SECONDS);
        }

        /** Sends {@code line} on a new stream and returns the server's answer ("name line"). */
        public String exchange(String line) throws Exception {
            CompletableFuture<String> answer = new CompletableFuture<>();
            StringBuilder text = new StringBuilder();
            QuicStreamChannel stream = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf data = (ByteBuf) msg;
                            text.append(data.toString(StandardCharsets.UTF_8));
                            data.release();
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                            if (event == ChannelInputShutdownReadComplete.INSTANCE) {
                                answer.complete(text.toString().strip());
                            }
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            answer.complete(text.toString().strip());
                        }
                    }).get(5, TimeUnit.SECONDS);
            stream.writeAndFlush(Unpooled.copiedBuffer(line + "\n", StandardCharsets.UTF_8))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            return answer.get(5, TimeUnit.SECONDS);
        }

        public boolean isActive() {
            return connection.isActive();
        }

        @Override
        public void close() {
            connection.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    @ChannelHandler.Sharable
    private static final class Counting extends ChannelInboundHandlerAdapter {
        private final AtomicInteger connections;

        Counting(AtomicInteger connections) {
            this.connections = connections;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connections.incrementAndGet();
            ctx.fireChannelActive();
        }
    }

    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final String name;

        Answer(String name) {
            this.name = name;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf line = (ByteBuf) msg;
            String text = line.toString(StandardCharsets.UTF_8);
            line.release();
            ctx.writeAndFlush(Unpooled.copiedBuffer(name + " " + text + "\n", StandardCharsets.UTF_8))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        }
    }

    /** A self-signed certificate and key, made once per test JVM with the JDK's keytool. */
    private static synchronized KeyManagerFactory keyManagers() throws IOException, GeneralSecurityException,
            InterruptedException {
        if (keys == null) {
            Path dir = Files.createTempDirectory("stevedore-quic-cert");
            Path store = dir.resolve("server.p12");
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "quic",
                    "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-validity", "2",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD,
                    "-keypass", PASSWORD)).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool failed: " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, PASSWORD.toCharArray());
            }
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(keyStore, PASSWORD.toCharArray());
            keys = factory;
        }
        return keys;
    }
}
