package dev.mosvm.manager;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.Base64;

/** What tests that run agent processes on this machine need: free loopback ports, fresh keys. */
public final class LocalAgents {
    private LocalAgents() {}

    /** A random 256-bit key, base64 (a pool's gossip key, a master secret). */
    public static String randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return Base64.getEncoder().encodeToString(k);
    }

    public static int freeTcp() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static int freeUdp() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }
}
