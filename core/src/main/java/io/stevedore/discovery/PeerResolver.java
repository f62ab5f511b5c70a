package io.stevedore.discovery;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Resolves the records that name an upstream's peers, on one event loop of its own (thread
 * {@code stevedore-resolve}), never on the data path. Every answer is asked for afresh: no cache
 * sits between a record's change and the next resolution, whose schedule the caller sets from
 * the answer's TTL.
 *
 * <p>SRV: the records of the lowest priority value are the peers (the others are what SRV keeps
 * for when those fail, which health checks already cover); weight 0, which SRV allows, counts as 1,
 * the lowest peer weight; each target's addresses come from its A and AAAA records.
 */
public final class PeerResolver implements AutoCloseable {

    private static final long QUERY_TIMEOUT_MILLIS = 2_000;

    private final EventLoopGroup group;
    private final DnsNameResolver resolver;

    /** @param servers the DNS servers to ask, in order; empty for the system's resolvers */
    public PeerResolver(List<InetSocketAddress> servers) {
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("stevedore-resolve", true),
                NioIoHandler.newFactory());
        DnsServerAddressStreamProvider provider = servers.isEmpty()
                ? DnsServerAddressStreamProviders.platformDefault()
                : new SequentialDnsServerAddressStreamProvider(servers);
        this.resolver = new DnsNameResolverBuilder(group.next())
                .datagramChannelType(NioDatagramChannel.class)
                .nameServerProvider(provider)
                .resolveCache(NoopDnsCache.INSTANCE)
                .queryTimeoutMillis(QUERY_TIMEOUT_MILLIS)
                .recursionDesired(true)
                .build();
    }

    /**
     * The peers {@code name}'s records of {@code type} name; A and AAAA peers get {@code port}.
     * Completes exceptionally when the servers cannot be asked or refuse to answer; an answer with
     * no records completes with no peers.
     */
    public CompletableFuture<ResolvedPeers> resolve(String name, RecordType type, int port) {
        CompletableFuture<ResolvedPeers> result = new CompletableFuture<>();
        group.next().execute(() -> {
            switch (type) {
                case A -> addresses(name, DnsRecordType.A, port, 1).whenComplete(complete(result));
                case AAAA -> addresses(name, DnsRecordType.AAAA, port, 1).whenComplete(complete(result));
                case SRV -> services(name).whenComplete(complete(result));
            }
        });
        return result;
    }

    private static java.util.function.BiConsumer<ResolvedPeers, Throwable> complete(CompletableFuture<ResolvedPeers> to) {
        return (peers, failure) -> {
            if (failure != null) {
                to.completeExceptionally(failure);
            } else {
                to.complete(sorted(peers));
            }
        };
    }

    private static ResolvedPeers sorted(ResolvedPeers answer) {
        List<ResolvedPeers.Peer> peers = new ArrayList<>(answer.peers());
        peers.sort(Comparator.comparing((ResolvedPeers.Peer p) -> p.address().getAddress().getHostAddress())
                .thenComparingInt(p -> p.address().getPort()));
        return new ResolvedPeers(peers, answer.ttlSeconds());
    }

    /** The addresses of {@code name}'s A or AAAA records, each on {@code port} with {@code weight}. */
    private CompletableFuture<ResolvedPeers> addresses(String name, DnsRecordType type, int port, int weight) {
        return records(name, type).thenApply(records -> {
            List<ResolvedPeers.Peer> peers = new ArrayList<>();
            long ttl = Long.MAX_VALUE;
            for (Record record : records) {
                if (record.data.length == 4 || record.data.length == 16) {
                    peers.add(new ResolvedPeers.Peer(new InetSocketAddress(address(record.data), port), weight));
                    ttl = Math.min(ttl, record.ttl);
                }
            }
            return new ResolvedPeers(peers, ttl);
        });
    }

    private CompletableFuture<ResolvedPeers> services(String name) {
        return records(name, DnsRecordType.SRV).thenCompose(records -> {
            int best = Integer.MAX_VALUE;
            for (Record record : records) {
                if (record.service != null) {
                    best = Math.min(best, record.service.priority);
                }
            }
            List<CompletableFuture<ResolvedPeers>> targets = new ArrayList<>();
            long ttl = Long.MAX_VALUE;
            for (Record record : records) {
                Service service = record.service;
                if (service == null || service.priority != best) {
                    continue;
                }
                ttl = Math.min(ttl, record.ttl);
                int weight = Math.max(1, service.weight);
                targets.add(addresses(service.target, DnsRecordType.A, service.port, weight));
                targets.add(addresses(service.target, DnsRecordType.AAAA, service.port, weight));
            }
            long srvTtl = ttl;
            return CompletableFuture.allOf(targets.toArray(CompletableFuture[]::new)).thenApply(done -> {
                List<ResolvedPeers.Peer> peers = new ArrayList<>();
                long min = srvTtl;
                for (CompletableFuture<ResolvedPeers> target : targets) {
                    ResolvedPeers answer = target.join();
                    peers.addAll(answer.peers());
                    if (!answer.peers().isEmpty()) {
                        min = Math.min(min, answer.ttlSeconds());
                    }
                }
                return new ResolvedPeers(peers, min);
            });
        });
    }

    /** A record's TTL and data, copied out so the pooled message can go back at once. */
    private record Record(long ttl, byte[] data, Service service) {
    }

    private record Service(int priority, int weight, int port, String target) {
    }

    private CompletableFuture<List<Record>> records(String name, DnsRecordType type) {
        CompletableFuture<List<Record>> result = new CompletableFuture<>();
        Future<List<DnsRecord>> query = resolver.resolveAll(new DefaultDnsQuestion(name, type));
        query.addListener(done -> {
            if (!done.isSuccess()) {
                // A name with no records of this type is an empty answer, not a failure.
                // A server that did not answer (the failure has a cause: a timeout, a refused
                // query) is a failure.
                if (done.cause() instanceof UnknownHostException && done.cause().getCause() == null) {
                    result.complete(List.of());
                } else {
                    result.completeExceptionally(done.cause());
                }
                return;
            }
            List<DnsRecord> records = query.getNow();
            List<Record> copied = new ArrayList<>();
            try {
                for (DnsRecord record : records) {
                    if (record.type() == type && record instanceof DnsRawRecord raw) {
                        ByteBuf content = raw.content();
                        byte[] data = new byte[content.readableBytes()];
                        content.getBytes(content.readerIndex(), data);
                        Service service = type == DnsRecordType.SRV ? service(content) : null;
                        copied.add(new Record(record.timeToLive(), data, service));
                    }
                }
            } finally {
                records.forEach(ReferenceCountUtil::release);
            }
            result.complete(copied);
        });
        return result;
    }

    /** RFC 2782: priority, weight, port, then the target's name (compressed by some servers). */
    private static Service service(ByteBuf content) {
        if (content.readableBytes() < 7) {
            return null;
        }
        ByteBuf in = content.duplicate();
        int priority = in.readUnsignedShort();
        int weight = in.readUnsignedShort();
        int port = in.readUnsignedShort();
        String target = DefaultDnsRecordDecoder.decodeName(in);
        return new Service(priority, weight, port, target);
    }

    private static InetAddress address(byte[] data) {
        try {
            return InetAddress.getByAddress(data);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    @Override
    public void close() {
        resolver.close();
        group.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS).awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
}
