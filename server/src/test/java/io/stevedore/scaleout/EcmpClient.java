package io.stevedore.scaleout;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * The tier test's client, run in a namespace of its own: KCP-style conversations, each from its
 * own source port (the same ports on every run, so a conversation is the same flow to the
 * router's ECMP hash each time) and with its own 4-byte conversation id, the key Stevedore hashes.
 * Prints one line per conversation: {@code conv N instance I backend B}, or {@code conv N lost}.
 *
 * <p>{@code EcmpClient LOCAL_IP FIRST_PORT CONVERSATIONS SERVICE_IP:PORT ROUND}
 */
public final class EcmpClient {

    private static final int DATAGRAMS = 3;
    private static final int TRIES = 5;

    private EcmpClient() {
    }

    public static void main(String[] args) throws Exception {
        String local = args[0];
        int firstPort = Integer.parseInt(args[1]);
        int conversations = Integer.parseInt(args[2]);
        String[] service = args[3].split(":");
        InetSocketAddress target = new InetSocketAddress(service[0], Integer.parseInt(service[1]));
        int round = Integer.parseInt(args[4]);
        for (int conv = 0; conv < conversations; conv++) {
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(local, firstPort + conv))) {
                socket.setSoTimeout(500);
                String seen = null;
                for (int n = 0; n < DATAGRAMS; n++) {
                    String answer = exchange(socket, target, 0x5EED0000 + conv, round * 100 + n);
                    if (answer == null || seen != null && !seen.equals(answer)) {
                        seen = answer == null ? "lost" : "split " + seen + " / " + answer;
                        break;
                    }
                    seen = answer;
                }
                System.out.println("conv " + conv + " " + seen);
            }
        }
    }

    /** "instance I backend B" of the answer to one datagram, or null when none came back. */
    private static String exchange(DatagramSocket socket, InetSocketAddress target, int conv, int seq)
            throws Exception {
        byte[] datagram = ByteBuffer.allocate(24).putInt(conv).putInt(seq).array();
        byte[] reply = new byte[64];
        for (int attempt = 0; attempt < TRIES; attempt++) {
            socket.send(new DatagramPacket(datagram, datagram.length, target));
            try {
                while (true) {
                    DatagramPacket packet = new DatagramPacket(reply, reply.length);
                    socket.receive(packet);
                    ByteBuffer in = ByteBuffer.wrap(reply, 0, packet.getLength());
                    int backend = in.get();
                    int instance = in.get();
                    if (packet.getLength() == datagram.length + 2 && in.getInt() == conv && in.getInt() == seq) {
                        return "instance " + instance + " backend " + backend;
                    }
                }
            } catch (SocketTimeoutException again) {
                // lost on the way, or the tier is still converging: send again
            }
        }
        return null;
    }
}
