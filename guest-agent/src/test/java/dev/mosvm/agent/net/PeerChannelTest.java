package dev.mosvm.agent.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mosvm.api.PoolMembership;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Two ends of the peer channel over loopback: mutual key proof, sealed records both ways. */
class PeerChannelTest {
    static PoolKeys keys(String node, int fill, List<String> revoked) {
        byte[] key = new byte[32];
        java.util.Arrays.fill(key, (byte) fill);
        return new PoolKeys(new PoolMembership("lab", node, "127.0.0.1", 7946,
                List.of(new PoolMembership.Key(1, Base64.getEncoder().encodeToString(key))), 1, List.of(), "lan", 0, 0,
                "a", null, Base64.getEncoder().encodeToString(new byte[32]), 0, revoked));
    }

    /** Connects b to a server accepting as a; returns what each side saw, or throws the client's failure. */
    static PeerChannel[] pair(PoolKeys server, PoolKeys client, String clientName) throws Exception {
        try (ServerSocket ss = new ServerSocket(0)) {
            CompletableFuture<PeerChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return PeerChannel.accept(ss.accept(), server, "a");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            PeerChannel c = PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), client.ring(), clientName);
            return new PeerChannel[] {accepted.get(), c};
        }
    }

    @Test
    void membersProveTheKeyAndExchangeSealedRecords() throws Exception {
        PeerChannel[] p = pair(keys("a", 7, List.of()), keys("b", 7, List.of()), "b");
        assertEquals("b", p[0].peer());
        assertEquals("a", p[1].peer());
        byte[] big = new byte[3 << 20];
        new SplittableRandom(1).nextBytes(big);
        Thread w = new Thread(() -> {
            try {
                p[1].out.write(big);
                p[1].out.flush();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        w.start();
        byte[] got = p[0].in.readNBytes(big.length);
        w.join();
        assertArrayEquals(big, got, "3 MiB across several records");
        p[0].out.writeUTF("and back");
        p[0].out.flush();
        assertEquals("and back", p[1].in.readUTF());
        p[0].close();
        p[1].close();
    }

    /** A server that reads late: everything the client sent is waiting by the time it reads. */
    static final class SlowReadingServer extends ServerSocket {
        SlowReadingServer() throws IOException {
            super(0);
        }

        @Override
        public Socket accept() throws IOException {
            Socket s = new Socket() {
                @Override
                public java.io.InputStream getInputStream() throws IOException {
                    return new java.io.FilterInputStream(super.getInputStream()) {
                        @Override
                        public int read(byte[] b, int off, int len) throws IOException {
                            try {
                                Thread.sleep(100);
                            } catch (InterruptedException e) {
                                throw new IOException(e);
                            }
                            return super.read(b, off, len);
                        }
                    };
                }
            };
            implAccept(s);
            return s;
        }
    }

    @Test
    void aRequestSentRightAfterTheHandshakeReachesABusyServer() throws Exception {
        // the client's key proof and its first record arrive together; the handshake must not swallow the record
        try (ServerSocket ss = new SlowReadingServer()) {
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (PeerChannel s = PeerChannel.accept(ss.accept(), keys("a", 7, List.of()), "a")) {
                    return s.in.readUTF();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (PeerChannel c = PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), keys("b", 7, List.of()).ring(), "b")) {
                c.out.writeUTF("the first request");
                c.out.flush();
                assertEquals("the first request", served.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void aNodeWithoutThePoolKeyOrRemovedFromThePoolIsRefused() {
        assertThrows(Exception.class, () -> pair(keys("a", 7, List.of()), keys("x", 8, List.of()), "x"), "wrong key");
        assertThrows(Exception.class, () -> pair(keys("a", 7, List.of("c")), keys("c", 7, List.of()), "c"), "removed node");
    }
}
