package dev.mosvm.agent.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.Protocol;
import dev.mosvm.agent.wire.ProtocolMismatchException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Two ends of the peer channel over loopback: mutual key proof, sealed records both ways, the protocol version checked. */
class PeerChannelTest {
    static PoolKeys keys(String node, int fill, List<String> revoked) {
        return LoopbackChannels.keys(node, fill, revoked);
    }

    /** Connects b to a server accepting as a; returns what each side saw, or throws the client's failure. */
    static PeerChannel[] pair(PoolKeys server, PoolKeys client, String clientName) throws Exception {
        return LoopbackChannels.pair(server, "a", client, clientName);
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

    @Test
    void aReadBoundedByATimeoutEndsWhenNothingComesAndWaitsAgainOnceCleared() throws Exception {
        PeerChannel[] p = pair(keys("a", 7, List.of()), keys("b", 7, List.of()), "b");
        p[0].readTimeout(50);
        long t0 = System.nanoTime();
        assertThrows(java.net.SocketTimeoutException.class, () -> p[0].in.readInt(), "a silent peer");
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "ended at its timeout, not TCP's");
        p[1].readTimeout(50);
        p[1].readTimeout(0);
        p[0].out.writeInt(7);
        p[0].out.flush();
        assertEquals(7, p[1].in.readInt(), "cleared: the read waits for the answer");
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
            try (PeerChannel c = PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), keys("b", 7, List.of()), "b")) {
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

    /** What the server end of a connection ended with: its channel, or the exception that refused the peer. */
    record Served(PeerChannel channel, IOException refusal) {}

    /**
     * Server a speaking {@code serverVersion} and client b speaking {@code clientVersion}; the
     * server end's outcome comes back in {@code served}. Returns the client's channel, or throws its refusal.
     */
    static PeerChannel versions(int serverVersion, int clientVersion, CompletableFuture<Served> served) throws Exception {
        try (ServerSocket ss = new ServerSocket(0)) {
            CompletableFuture.runAsync(() -> {
                try {
                    served.complete(new Served(PeerChannel.accept(ss.accept(), keys("a", 7, List.of()), "a", serverVersion), null));
                } catch (IOException e) {
                    served.complete(new Served(null, e));
                }
            });
            return PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), keys("b", 7, List.of()), "b", null, clientVersion);
        }
    }

    static IOException refusal(CompletableFuture<Served> served) throws Exception {
        return served.get(30, TimeUnit.SECONDS).refusal();
    }

    @Test
    void aMemberCannotSpeakAsAnotherMember() {
        // c holds the pool's key and its own certificate, and says it is b
        IOException e = assertThrows(IOException.class, () -> pair(keys("a", 7, List.of()), keys("c", 7, List.of()), "b"));
        assertEquals("peer b is not a member it can prove to be: a certificate of c shown by a peer that says it is b", e.getMessage());
    }

    @Test
    void aCertificateFromAnotherAuthorityIsRefusedThoughThePoolKeyIsRight() {
        NodeIdentity b = LoopbackChannels.identity("b");
        MemberCertificate forged = PoolAuthority.create("a").certify("lab", "b", b.publicKey(), 0); // same names, another key signs
        IOException e = assertThrows(IOException.class,
                () -> pair(keys("a", 7, List.of()), LoopbackChannels.keys("b", 7, List.of(), forged, b), "b"));
        assertEquals("peer b is not a member it can prove to be: a certificate this pool did not issue", e.getMessage());
    }

    @Test
    void aClientRefusesAMemberOtherThanTheOneItDialled() throws Exception {
        try (ServerSocket ss = new ServerSocket(0)) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = ss.accept()) {
                    PeerChannel.accept(s, keys("a", 7, List.of()), "a").close();
                } catch (IOException expected) {
                    // the client hung up after the server's proof
                }
            });
            IOException e = assertThrows(IOException.class,
                    () -> PeerChannel.connect(new Socket("127.0.0.1", ss.getLocalPort()), keys("b", 7, List.of()), "b", "c"));
            assertEquals("the member answering there is a, not c", e.getMessage());
            served.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMemberWithoutACertificateIsToldToJoinAgain() {
        PoolKeys old = new PoolKeys(new dev.mosvm.api.PoolMembership("lab", "b", "127.0.0.1", 7946,
                List.of(new dev.mosvm.api.PoolMembership.Key(1, java.util.Base64.getEncoder().encodeToString(new byte[32]))), 1, List.of(),
                "lan", 0, 0, "a", null, null, 0, List.of()));
        IOException e = assertThrows(IOException.class, () -> pair(keys("a", 7, List.of()), old, "b"));
        assertEquals("this node holds no member certificate for pool lab; leave it and join again", e.getMessage());
    }

    @Test
    void agentsOfOneVersionTalk() throws Exception {
        CompletableFuture<Served> served = new CompletableFuture<>();
        try (PeerChannel c = versions(Protocol.VERSION, Protocol.VERSION, served); PeerChannel s = served.get(30, TimeUnit.SECONDS).channel()) {
            PeerRequest.write(c.out, PeerRequest.list());
            assertEquals(PeerRequest.list(), PeerRequest.read(s.in), "the request follows the version exchange");
        }
    }

    @Test
    void agentsOfDifferentVersionsBothRefuseNamingBoth() throws Exception {
        CompletableFuture<Served> served = new CompletableFuture<>();
        ProtocolMismatchException client = assertThrows(ProtocolMismatchException.class, () -> versions(2, 3, served));
        assertEquals("peer a speaks mosvm protocol 2, this node speaks 3", client.getMessage());
        IOException server = refusal(served);
        assertEquals(ProtocolMismatchException.class, server.getClass());
        assertEquals("peer b speaks mosvm protocol 3, this node speaks 2", server.getMessage());
    }

    @Test
    void anAgentOfTheUnversionedProtocolIsRefusedByName() throws Exception {
        // a protocol-1 client opens with its request: this server names its version
        CompletableFuture<Served> served = new CompletableFuture<>();
        try (PeerChannel old = versions(Protocol.VERSION, 1, served)) {
            PeerRequest.write(old.out, PeerRequest.list());
            IOException server = refusal(served);
            assertEquals("peer b speaks mosvm protocol 1, this node speaks " + Protocol.VERSION, server.getMessage());
            assertEquals(MessageType.VERSION, FrameCodec.read(old.in).type(), "all it hears: a frame it does not know (\"unexpected frame 17\")");
            assertNull(FrameCodec.read(old.in), "then the end");
        }
    }

    @Test
    void aServerOfTheUnversionedProtocolIsRefusedByName() throws Exception {
        // a protocol-1 server reads this client's VERSION frame as its request, refuses it and hangs up
        CompletableFuture<Served> served = new CompletableFuture<>();
        CompletableFuture<Void> oldServer = served.thenAccept(s -> {
            try (PeerChannel ch = s.channel()) {
                assertThrows(IOException.class, () -> PeerRequest.read(ch.in));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ProtocolMismatchException client = assertThrows(ProtocolMismatchException.class, () -> versions(1, Protocol.VERSION, served));
        assertEquals("peer a closed the connection without saying its protocol version (as mosvm protocol 1 agents do), this node speaks "
                + Protocol.VERSION, client.getMessage());
        oldServer.get(30, TimeUnit.SECONDS);
    }

    /** What accepting a connection from a client that sends {@code bytes}, paced by {@code pauseMillis}, ends with, and when. */
    static IOException refusalOfRawClient(byte[] bytes, long pauseMillis, long deadlineMillis, long[] tookMillis) throws Exception {
        try (ServerSocket ss = new ServerSocket(0); Socket client = new Socket("127.0.0.1", ss.getLocalPort())) {
            CompletableFuture<IOException> served = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                try {
                    PeerChannel.accept(ss.accept(), keys("a", 7, List.of()), "a", Protocol.VERSION, deadlineMillis).close();
                    return null;
                } catch (IOException e) {
                    return e;
                } finally {
                    tookMillis[0] = (System.nanoTime() - t0) / 1_000_000;
                }
            });
            try {
                for (byte b : bytes) {
                    client.getOutputStream().write(b);
                    if (served.isDone()) break;
                    Thread.sleep(pauseMillis); // the client's pace: what is being tested
                }
            } catch (IOException closedByTheServer) {
                // expected once the server gives up
            }
            return served.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClientThatTricklesItsHandshakeIsDroppedAtTheDeadlineHoweverItPacesItsBytes() throws Exception {
        // each byte well inside the read timeout; the whole handshake far past the deadline
        byte[] hello = new byte[64];
        System.arraycopy(PeerChannel.MAGIC, 0, hello, 0, 8);
        long[] took = new long[1];
        IOException e = refusalOfRawClient(hello, 100, 600, took);
        assertEquals("the handshake not done within 0.6 s", e.getMessage());
        assertTrue(took[0] < 5_000, "dropped at the deadline, not after the client's 6 s: " + took[0] + " ms");
    }

    @Test
    void aNodeNameLongerThanAnyIsRefusedBeforeItIsRead() throws Exception {
        java.io.ByteArrayOutputStream hello = new java.io.ByteArrayOutputStream();
        hello.write(PeerChannel.MAGIC);
        hello.write(new byte[] {1, (byte) 0xff, (byte) 0xff}); // key 1, a name of 65535 bytes
        long[] took = new long[1];
        IOException e = refusalOfRawClient(hello.toByteArray(), 0, 10_000, took);
        assertEquals("a node name of 65535 bytes: not a mosvm peer", e.getMessage());
    }
}
