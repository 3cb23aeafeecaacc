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

    /**
     * {@code m} with a certificate, issued by {@code authority}, for the node identity an agent
     * whose membership file is {@code poolFile} will load (made beside it now); the founder's
     * membership keeps the authority's secret too.
     */
    public static dev.mosvm.api.PoolMembership certified(dev.mosvm.api.PoolMembership m, java.nio.file.Path poolFile,
            dev.mosvm.agent.identity.PoolAuthority authority, boolean founder) throws IOException {
        java.nio.file.Files.createDirectories(poolFile.toAbsolutePath().getParent());
        var identity = dev.mosvm.agent.identity.NodeIdentity.loadOrCreate(poolFile.resolveSibling("node-identity"));
        var c = authority.certify(m.pool(), m.node(), identity.publicKey(), System.currentTimeMillis() / 1000);
        return new dev.mosvm.api.PoolMembership(m.pool(), m.node(), m.address(), m.port(), m.keys(), m.primaryKey(), m.seeds(), m.profile(),
                m.intervalMillis(), m.window(), m.authority(), m.master(), m.nodeKey(), m.epoch(), m.revoked(), m.plainPageStreams(),
                authority.publicKeyBase64(), founder ? authority.secretBase64() : null, Base64.getEncoder().encodeToString(c.encode()), 0);
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
