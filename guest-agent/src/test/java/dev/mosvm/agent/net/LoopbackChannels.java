package dev.mosvm.agent.net;

import dev.mosvm.api.PoolMembership;
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

    /** {@code node}'s keys in pool "lab", whose one key is 32 bytes of {@code fill}; {@code revoked} were removed. */
    public static PoolKeys keys(String node, int fill, List<String> revoked) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) fill);
        return new PoolKeys(new PoolMembership("lab", node, "127.0.0.1", 7946,
                List.of(new PoolMembership.Key(1, Base64.getEncoder().encodeToString(key))), 1, List.of(), "lan", 0, 0,
                "a", null, Base64.getEncoder().encodeToString(new byte[32]), 0, revoked));
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
            PeerChannel c = PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), client.ring(), clientName);
            try {
                return new PeerChannel[] {accepted.join(), c};
            } catch (CompletionException e) {
                c.close();
                throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
            }
        }
    }
}
