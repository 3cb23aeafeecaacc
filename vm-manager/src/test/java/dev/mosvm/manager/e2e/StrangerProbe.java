package dev.mosvm.manager.e2e;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;

/**
 * What a stranger on the LAN gets from a workstation: run in its own network namespace by
 * {@link WorkstationsIT} ({@code java -cp test-classes ... HOST UDP_PORT TCP_PORT...}). It sends
 * the overlay's UDP port junk and a packet shaped like a WireGuard handshake initiation (type 1,
 * 148 bytes, random keys) and waits for any answer; it dials each TCP port. One line per probe:
 * {@code udp PORT silent|answered N bytes}, {@code tcp PORT open|closed|unreachable}.
 */
public final class StrangerProbe {
    private StrangerProbe() {}

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int udp = Integer.parseInt(args[1]);
        SecureRandom random = new SecureRandom();
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            byte[] junk = new byte[64];
            random.nextBytes(junk);
            byte[] initiation = new byte[148];
            random.nextBytes(initiation);
            initiation[0] = 1; // message type: handshake initiation
            initiation[1] = initiation[2] = initiation[3] = 0;
            for (byte[] p : new byte[][] {junk, initiation}) s.send(new DatagramPacket(p, p.length, new InetSocketAddress(host, udp)));
            byte[] buf = new byte[2048];
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                s.receive(in);
                System.out.println("udp " + udp + " answered " + in.getLength() + " bytes");
            } catch (SocketTimeoutException e) {
                System.out.println("udp " + udp + " silent");
            }
        }
        for (int i = 2; i < args.length; i++) {
            int port = Integer.parseInt(args[i]);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 3000);
                System.out.println("tcp " + port + " open");
            } catch (java.net.ConnectException e) {
                System.out.println("tcp " + port + " closed");
            } catch (java.io.IOException e) {
                System.out.println("tcp " + port + " unreachable");
            }
        }
    }
}
