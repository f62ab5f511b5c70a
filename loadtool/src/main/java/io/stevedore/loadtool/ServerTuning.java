package io.stevedore.loadtool;

/**
 * The receive buffers {@code compare} writes into the Stevedore paths' {@code Server} section;
 * a null one is left to the daemon's default.
 *
 * @param recvBuf {@code Server.RecvBufBytes}
 * @param floodRecvBuf {@code Server.FloodRecvBufBytes}
 */
record ServerTuning(Integer recvBuf, Integer floodRecvBuf) {

    static final ServerTuning DEFAULTS = new ServerTuning(null, null);

    /** What the path's label adds, e.g. {@code ", RecvBufBytes 65536"}. */
    String label() {
        return (recvBuf == null ? "" : ", RecvBufBytes " + recvBuf)
                + (floodRecvBuf == null ? "" : ", FloodRecvBufBytes " + floodRecvBuf);
    }

    /** The keys to append to the {@code Server} object, each after a comma. */
    String json() {
        return (recvBuf == null ? "" : ", \"RecvBufBytes\": " + recvBuf)
                + (floodRecvBuf == null ? "" : ", \"FloodRecvBufBytes\": " + floodRecvBuf);
    }
}
