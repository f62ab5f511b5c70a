package io.stevedore.scaleout;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The tier test's backends, run in a namespace of their own: one socket per address given, each
 * answering every datagram with its backend number, the third octet of the sender's IPv4 address
 * (which names the Stevedore instance that relayed it) and the datagram itself.
 *
 * <p>{@code EcmpBackend PORT IP...}: backend {@code i} is the {@code i}-th address, from 1.
 */
public final class EcmpBackend {

    private EcmpBackend() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        List<Thread> threads = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            DatagramSocket socket = new DatagramSocket(new InetSocketAddress(args[i], port));
            int id = i;
            Thread thread = new Thread(() -> serve(socket, id), "backend-" + id);
            thread.start();
            threads.add(thread);
        }
        System.out.println("backends listening");
        System.out.flush();
        for (Thread thread : threads) {
            thread.join();
        }
    }

    private static void serve(DatagramSocket socket, int id) {
        byte[] in = new byte[2048];
        try {
            while (true) {
                DatagramPacket packet = new DatagramPacket(in, in.length);
                socket.receive(packet);
                byte[] out = new byte[packet.getLength() + 2];
                out[0] = (byte) id;
                out[1] = packet.getAddress().getAddress()[2];
                System.arraycopy(in, 0, out, 2, packet.getLength());
                socket.send(new DatagramPacket(out, out.length, packet.getSocketAddress()));
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }
}
