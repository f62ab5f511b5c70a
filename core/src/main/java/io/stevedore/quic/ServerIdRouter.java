package io.stevedore.quic;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Maps a QUIC datagram to the peer whose server ID its destination connection ID encodes, reading
 * the datagram in place and allocating nothing. One per event loop (its codecs hold ciphers and
 * scratch space); built from an upstream's QUIC-LB configurations and its peers' server IDs.
 *
 * <p>A datagram it cannot route, whatever the cause (no connection ID, a config ID with no
 * configuration, 0b111, too few octets, a server ID no peer has), yields {@link #UNROUTABLE}: the
 * caller falls back to the draft's baseline, hashing the client's address.
 */
public final class ServerIdRouter {

    public static final int UNROUTABLE = -1;

    /** By config ID; null where no configuration is live. */
    private final ServerIdCodec[] codecs = new ServerIdCodec[QuicLbConfig.UNROUTABLE_CONFIG + 1];
    private final int serverIdLength;
    /** Server IDs in unsigned lexicographic order, and the peer index of each. */
    private final byte[][] serverIds;
    private final int[] peers;
    private final byte[] cid = new byte[1 + QuicLbConfig.MAX_PLAINTEXT_LENGTH];
    private final byte[] serverId;

    /**
     * @param configs the live configurations, distinct config IDs, one server ID length
     * @param peerServerIds each peer's server ID, by peer index; unique
     */
    public ServerIdRouter(List<QuicLbConfig> configs, List<byte[]> peerServerIds) {
        if (configs.isEmpty()) {
            throw new IllegalArgumentException("no QUIC-LB configuration");
        }
        this.serverIdLength = configs.get(0).serverIdLength();
        for (QuicLbConfig config : configs) {
            if (config.serverIdLength() != serverIdLength) {
                throw new IllegalArgumentException("configurations disagree on the server ID length");
            }
            if (codecs[config.configId()] != null) {
                throw new IllegalArgumentException("config ID " + config.configId() + " appears twice");
            }
            codecs[config.configId()] = new ServerIdCodec(config);
        }
        Integer[] order = new Integer[peerServerIds.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            if (peerServerIds.get(i).length != serverIdLength) {
                throw new IllegalArgumentException("peer " + i + "'s server ID is not " + serverIdLength + " octets");
            }
        }
        Arrays.sort(order, Comparator.comparing(peerServerIds::get, Arrays::compareUnsigned));
        this.serverIds = new byte[order.length][];
        this.peers = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            serverIds[i] = peerServerIds.get(order[i]).clone();
            peers[i] = order[i];
            if (i > 0 && Arrays.equals(serverIds[i - 1], serverIds[i])) {
                throw new IllegalArgumentException("peers " + peers[i - 1] + " and " + peers[i] + " share a server ID");
            }
        }
        this.serverId = new byte[serverIdLength];
    }

    /** The index of the peer that issued the datagram's destination connection ID, or {@link #UNROUTABLE}. */
    public int route(ByteBuf datagram) {
        int start = ConnectionIds.start(datagram);
        if (start == ConnectionIds.NONE) {
            return UNROUTABLE;
        }
        ServerIdCodec codec = codecs[ConnectionIds.configId(datagram.getByte(start))];
        if (codec == null) {
            return UNROUTABLE;
        }
        int length = codec.config().connectionIdLength();
        if (ConnectionIds.available(datagram, start) < length) {
            return UNROUTABLE;
        }
        datagram.getBytes(start, cid, 0, length);
        codec.decode(cid, 0, serverId);
        return peerOf(serverId);
    }

    private int peerOf(byte[] id) {
        int low = 0;
        int high = serverIds.length - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int c = Arrays.compareUnsigned(serverIds[middle], id);
            if (c < 0) {
                low = middle + 1;
            } else if (c > 0) {
                high = middle - 1;
            } else {
                return peers[middle];
            }
        }
        return UNROUTABLE;
    }
}
