package io.stevedore.config;

import java.net.InetSocketAddress;

/** The {@code Server} section: where clients send and how the listeners read. */
public record ServerConfig(
        InetSocketAddress listenAddr,
        int listenParallel,
        int batchSize,
        int bufSize,
        int maxTryTimes) {

    public static final int DEFAULT_PORT = 2614;
    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final int DEFAULT_BUF_SIZE = 4096;
    public static final int MAX_BUF_SIZE = 65535;
    public static final int DEFAULT_MAX_TRY_TIMES = 3;
}
