package dev.mosvm.agent.net;

import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.api.PoolMembership;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Peer channels over loopback for tests: pool keys of one repeated byte, and connected pairs. */
public final class LoopbackChannels {
    private LoopbackChannels() {}

    /** The authority of the tests' pool "lab". */
    public static final PoolAuthority AUTHORITY = PoolAuthority.create("a");
    private static final Map<String, NodeIdentity> IDENTITIES = new ConcurrentHashMap<>();

    /** The one identity a node of that name has in these tests. */
    public static NodeIdentity identity(String node) {
        return IDENTITIES.computeIfAbsent(node, n -> NodeIdentity.ephemeral());
    }

    /**
     * {@code node}'s keys in pool "lab", whose one key is 32 bytes of {@code fill}; {@code revoked}
     * were removed. The node holds its own identity, certified by {@link #AUTHORITY}.
     */
    public static PoolKeys keys(String node, int fill, List<String> revoked) {
        return keys(node, fill, revoked, AUTHORITY.certify("lab", node, identity(node).publicKey(), 0), identity(node));
    }

    /** As {@link #keys(String, int, List)}, showing {@code certificate} and holding {@code identity}: an impostor's, say. */
    public static PoolKeys keys(String node, int fill, List<String> revoked, MemberCertificate certificate, NodeIdentity identity) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) fill);
        Base64.Encoder b64 = Base64.getEncoder();
        return new PoolKeys(new PoolMembership("lab", node, "127.0.0.1", 7946,
                List.of(new PoolMembership.Key(1, b64.encodeToString(key))), 1, List.of(), "lan", 0, 0,
                "a", null, b64.encodeToString(new byte[32]), 0, revoked, false, AUTHORITY.publicKeyBase64(), null,
                b64.encodeToString(certificate.encode()), 0), identity);
    }

    /**
     * Connects {@code clientName} to a server accepting as {@code serverName}: the server's end,
     * then the client's; or the client's failure.
     */
    public static PeerChannel[] pair(PoolKeys server, String serverName, PoolKeys client, String clientName) throws IOException {
        try (ServerSocket ss = new ServerSocket(0)) {
            CompletableFuture<PeerChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return PeerChannel.accept(ss.accept(), server, serverName);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            PeerChannel c;
            try {
                c = PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), client, clientName);
            } catch (java.net.SocketException | java.io.EOFException clientFailed) {
                // the server refused first and hung up: its reason is the one worth reading
                try {
                    accepted.join().close();
                } catch (CompletionException e) {
                    if (e.getCause() instanceof UncheckedIOException u) throw u.getCause();
                }
                throw clientFailed;
            }
            try {
                return new PeerChannel[] {accepted.join(), c};
            } catch (CompletionException e) {
                c.close();
                throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
            }
        }
    }
}
