package dev.mosvm.agent.pool;

import dev.mosvm.agent.net.InMemoryNetwork;
import dev.mosvm.agent.node.FactsCollector;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.api.JoinRequest;
import dev.mosvm.api.JoinTokenRequest;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolMembership;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MembershipTest {
    /** A new joiner's identity key (each appliance has its own; the founder refuses a key admitted under another name). */
    static String key() {
        return NodeIdentity.ephemeral().publicKeyBase64();
    }

    @TempDir Path dir;

    @Test
    void tokensAdmitUntilTheyExpireAndTunablesTravelToJoiners() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        Path file = dir.resolve("pool.json");
        // gossip on an in-memory network: the fixed gossip port may be taken on a machine running tests
        Membership c = new Membership(file, new FactsCollector("founder", () -> 1.0), now::get, new InMemoryNetwork().host("10.0.0.1"));
        try {
            var r = c.init(new PoolInitRequest("lab", 3600, 500, 32, false, 2));
            assertTrue(Files.isRegularFile(file), "membership kept for restarts");
            assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file),
                    "root-only: it holds the pool key");
            PoolMembership m = c.admit(new JoinRequest(r.joinSecret(), "b", key()));
            assertEquals("lab", m.pool());
            assertEquals(500, m.intervalMillis());
            assertEquals(32, m.window());
            assertEquals(1, m.seeds().size());
            assertFalse(m.plainPageStreams(), "page streams sealed unless the founder said otherwise");
            assertThrows(SecurityException.class, () -> c.admit(new JoinRequest("wrong", "c", key())));
            // a single-use token, issued, admits one node (JoinTokensTest: they outlive the agent)
            String once = c.tokens(JoinTokenRequest.create(1, 7200)).issued();
            assertEquals(2, c.tokens(JoinTokenRequest.list()).tokens().size());
            assertTrue(Files.isRegularFile(dir.resolve("join-tokens.json")));
            assertEquals("d", c.admit(new JoinRequest(once, "d", key())).node());
            assertThrows(SecurityException.class, () -> c.admit(new JoinRequest(once, "e", key())), "used up");
            now.addAndGet(3601_000L);
            assertThrows(SecurityException.class, () -> c.admit(new JoinRequest(r.joinSecret(), "c", key())), "expired");
            assertThrows(IllegalStateException.class, () -> c.init(new PoolInitRequest("other", 3600, 0, 0)), "one pool at a time");
            c.leave();
            assertFalse(Files.exists(file), "leaving forgets the pool");
            assertThrows(IllegalArgumentException.class, () -> c.init(new PoolInitRequest("lab", 3600, 5, 0)), "bad interval");
            assertFalse(Files.exists(file), "nothing written for bad tunables");
            var plain = c.init(new PoolInitRequest("lan", 3600, 0, 0, true));
            assertTrue(c.plainPageStreams());
            assertTrue(c.admit(new JoinRequest(plain.joinSecret(), "b", key())).plainPageStreams(), "joiners send pages as the founder chose");
            c.leave();
            assertFalse(c.plainPageStreams(), "outside a pool nothing goes plain");
        } finally {
            c.leave();
        }
    }

    @Test
    void aJoinerIsCertifiedForItsOwnKeyAndAnotherKeyCannotUseTheMembership() throws Exception {
        InMemoryNetwork net = new InMemoryNetwork();
        AtomicLong now = new AtomicLong(1_000_000_000L);
        NodeIdentity bKey = NodeIdentity.ephemeral();
        Membership founder = new Membership(dir.resolve("a/pool.json"), new FactsCollector("founder", () -> 1.0), now::get, net.host("10.0.0.1"));
        Membership b = new Membership(dir.resolve("b/pool.json"), new FactsCollector("b", () -> 1.0), now::get, net.host("10.0.0.2"), null, bKey);
        Membership thief = new Membership(dir.resolve("c/pool.json"), new FactsCollector("b", () -> 1.0), now::get, net.host("10.0.0.3"), null,
                NodeIdentity.ephemeral());
        try {
            String secret = founder.init(new PoolInitRequest("lab", 3600, 0, 0, false, 1)).joinSecret();
            assertEquals("the join request carries no identity key (the joining appliance's agent is older than this pool)",
                    assertThrows(IllegalArgumentException.class, () -> founder.admit(new JoinRequest(secret, "b", null))).getMessage());
            assertThrows(IllegalArgumentException.class, () -> founder.admit(new JoinRequest(secret, "b", "AAAA")), "not 32 bytes");
            PoolMembership m = founder.admit(new JoinRequest(secret, "b", bKey.publicKeyBase64())); // the token's one use: refusals spent none
            MemberCertificate c = MemberCertificate.decode(java.util.Base64.getDecoder().decode(m.certificate()));
            assertEquals("b", c.node());
            assertArrayEquals(bKey.publicKey(), c.publicKey());
            assertEquals(null, m.authoritySecret(), "the authority's key stays with the founder");
            assertTrue(m.memberCertificates().stream().map(s -> MemberCertificate.decode(java.util.Base64.getDecoder().decode(s)).node())
                    .toList().contains("founder"), "the joiner is handed the founder's certificate, so it believes its first answer");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> thief.configure(m));
            assertTrue(e.getMessage().startsWith("this membership certifies key " + bKey.fingerprint() + ", not this appliance's"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("c/pool.json")), "nothing kept by the node it was not for");
            assertEquals(Map.of("joined", "lab"), b.configure(m));
            assertEquals("b", b.keys().credentials().check().check(b.keys().credentials().certificate(), "b").node());
        } finally {
            b.leave();
            thief.leave();
            founder.leave();
        }
    }

    @Test
    void removingAMemberRevokesItsNameItsKeyAndTheTokenItCameWith() throws Exception {
        InMemoryNetwork net = new InMemoryNetwork();
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        NodeIdentity bKey = NodeIdentity.ephemeral();
        Membership founder = new Membership(dir.resolve("a/pool.json"), new FactsCollector("founder", () -> 1.0), now::get, net.host("10.0.0.1"));
        try {
            String secret = founder.init(new PoolInitRequest("lab", 3600, 200, 16, false, 5)).joinSecret();
            String tokenId = founder.tokens(JoinTokenRequest.list()).tokens().get(0).id();
            founder.admit(new JoinRequest(secret, "b", bKey.publicKeyBase64())); // admitted, never seen in gossip: still removable
            String twin = assertThrows(IllegalStateException.class, () -> founder.admit(new JoinRequest(secret, "b-clone", bKey.publicKeyBase64()))).getMessage();
            assertTrue(twin.startsWith("the appliance joining as b-clone has the identity key of member b (a copy of its disk?)"), twin);
            var r = founder.remove(new dev.mosvm.api.RemoveRequest("b"));
            assertEquals(List.of(tokenId), r.revokedTokens(), "the five-use token it came with is revoked");
            assertThrows(SecurityException.class, () -> founder.admit(new JoinRequest(secret, "b3", key())), "that token admits nobody now");
            String fresh = founder.tokens(JoinTokenRequest.create(3, 3600)).issued();
            assertEquals("this appliance was removed from pool lab (as b) and cannot rejoin",
                    assertThrows(IllegalStateException.class, () -> founder.admit(new JoinRequest(fresh, "b2", bKey.publicKeyBase64()))).getMessage());
            assertEquals("node 'b' was removed from pool lab and cannot rejoin",
                    assertThrows(IllegalStateException.class, () -> founder.admit(new JoinRequest(fresh, "b", key()))).getMessage());
            assertEquals(3, founder.tokens(JoinTokenRequest.list()).tokens().stream().filter(t -> !t.id().equals(tokenId)).findFirst().orElseThrow().usesLeft(),
                    "refusals spend no use");
            assertEquals("c", founder.admit(new JoinRequest(fresh, "c", key())).node(), "others still join");
        } finally {
            founder.leave();
        }
    }

    @Test
    void aJoinerWhoseClockIsOffTakesThePoolsTimeFromTheJoinAnswer() throws Exception {
        InMemoryNetwork net = new InMemoryNetwork();
        AtomicLong here = new AtomicLong(1_765_000_000_000L);
        AtomicLong founderClock = new AtomicLong(here.get() + 90_000); // the founder's workstation is 90 s ahead
        Membership founder = new Membership(dir.resolve("a/pool.json"), new FactsCollector("founder", () -> 1.0), founderClock::get, net.host("10.0.0.1"));
        try {
            String secret = founder.init(new PoolInitRequest("lab", 3600, 0, 0, false, 2)).joinSecret();
            assertEquals(89_600, offsetAfterJoining("b", founder, secret, here, 400), "the pool's time as the answer had it, before any gossip");
            founderClock.set(here.get() + 2_000);
            assertEquals(0, offsetAfterJoining("c", founder, secret, here, 400), "within the tolerance the clock is left alone");
        } finally {
            founder.leave();
        }
    }

    @Test
    void anOverlayPoolSeatsEachMemberAtItsOwnAddressWithItsOwnWireGuardKeyAndPeersThemAll() throws Exception {
        InMemoryNetwork net = new InMemoryNetwork();
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        RecordingOverlay aWg = new RecordingOverlay("10.213.77.11:51820"), bWg = new RecordingOverlay("10.213.77.12:51821");
        NodeIdentity aKey = NodeIdentity.ephemeral(), bKey = NodeIdentity.ephemeral();
        Membership founder = new Membership(dir.resolve("a/pool.json"), new FactsCollector("a", () -> 1.0), now::get, net.host("10.77.0.1"), null, aKey, aWg);
        Membership b = new Membership(dir.resolve("b/pool.json"), new FactsCollector("b", () -> 1.0), now::get, net.host("10.77.0.2"), null, bKey, bWg);
        Membership plainNode = new Membership(dir.resolve("p/pool.json"), new FactsCollector("p", () -> 1.0), now::get, net.host("10.0.0.9"), null,
                NodeIdentity.ephemeral());
        try {
            assertEquals("unknown overlay 'ipsec': use wireguard or plain",
                    assertThrows(IllegalArgumentException.class, () -> founder.init(new PoolInitRequest("lab", 3600, 200, 16, false, 5, "ipsec"))).getMessage());
            assertEquals("this agent cannot run the WireGuard overlay here",
                    assertThrows(IllegalStateException.class, () -> plainNode.init(new PoolInitRequest("lab", 3600, 200, 16, false, 5, "wireguard"))).getMessage());
            String secret = founder.init(new PoolInitRequest("lab", 3600, 200, 16, false, 5, "wireguard")).joinSecret();
            assertEquals("10.77.0.1", aWg.upAs.getHostAddress(), "the founder takes the overlay's first address");
            assertEquals("10.77.0.1", founder.view().nodes().get(0).info().address(), "and gossips it, with its endpoint");
            assertEquals("10.213.77.11:51820", founder.view().nodes().get(0).info().endpoint());

            String noKey = assertThrows(IllegalArgumentException.class, () -> founder.admit(new JoinRequest(secret, "b", bKey.publicKeyBase64()))).getMessage();
            assertTrue(noKey.startsWith("pool lab runs a WireGuard overlay and the join request carries no valid WireGuard key"), noKey);
            assertThrows(IllegalArgumentException.class, () -> founder.admit(new JoinRequest(secret, "b", bKey.publicKeyBase64(), bWg.key, "10.0.0.1")),
                    "an endpoint without a port");
            PoolMembership m = founder.admit(new JoinRequest(secret, "b", bKey.publicKeyBase64(), bWg.key, bWg.endpoint.toString()));
            assertEquals("10.77.0.2", m.overlayAddress());
            assertEquals("10.213.77.11:51820", m.memberEndpoints().get("a"), "the joiner is told where the founder's WireGuard port is");
            assertEquals(List.of("10.77.0.1:7946"), m.seeds(), "and reaches its gossip on the overlay");
            MemberCertificate c = MemberCertificate.decode(java.util.Base64.getDecoder().decode(m.certificate()));
            assertEquals(bWg.key, c.overlay().wireguardKeyBase64());
            assertEquals("10.77.0.2", c.overlay().address().getHostAddress());
            var bPeer = aWg.peer("b");
            assertEquals("10.77.0.2", bPeer.address().getHostAddress(), "the founder adds the joiner before it sends anything");
            assertEquals("10.213.77.12:51821", bPeer.endpoint().toString());

            RecordingOverlay thiefWg = new RecordingOverlay("10.213.77.13:51820");
            Membership thief = new Membership(dir.resolve("t/pool.json"), new FactsCollector("b", () -> 1.0), now::get, net.host("10.77.0.9"), null, bKey, thiefWg);
            assertEquals("this membership certifies another WireGuard key than this appliance's",
                    assertThrows(IllegalArgumentException.class, () -> thief.configure(m)).getMessage());
            assertEquals("pool lab runs a WireGuard overlay, which this agent cannot run here",
                    assertThrows(IllegalArgumentException.class, () -> new Membership(dir.resolve("n/pool.json"), new FactsCollector("b", () -> 1.0), now::get,
                            net.host("10.77.0.8"), null, bKey).configure(m)).getMessage());
            assertEquals(null, thiefWg.upAs, "nothing brought up by a node the membership was not for");

            b.configure(m);
            assertEquals("10.77.0.2", bWg.upAs.getHostAddress());
            assertEquals("10.77.0.1", bWg.peer("a").address().getHostAddress());
            assertEquals("10.213.77.11:51820", bWg.peer("a").endpoint().toString());
            long seen = System.currentTimeMillis() + 5000;
            while (founder.members().stream().noneMatch(v -> v.info().id().equals("b")) && System.currentTimeMillis() < seen) Thread.sleep(50);
            String c2 = key();
            RecordingOverlay cWg = new RecordingOverlay("10.213.77.14:51820");
            assertEquals("10.77.0.3", founder.admit(new JoinRequest(secret, "c", c2, cWg.key, null)).overlayAddress(), "the next address");
            assertEquals(null, aWg.peer("c").endpoint(), "a joiner behind a NAT nobody dials: reached when it calls");
            long introduced = System.currentTimeMillis() + 5000;
            while (bWg.peer("c") == null && System.currentTimeMillis() < introduced) Thread.sleep(50);
            assertEquals("10.77.0.3", bWg.peer("c").address().getHostAddress(),
                    "the founder hands the other members a joiner's certificate at once: they take it as a peer before it sends anything");

            String cloneOfB = assertThrows(IllegalStateException.class,
                    () -> founder.admit(new JoinRequest(secret, "b2", key(), bWg.key, null))).getMessage();
            assertTrue(cloneOfB.startsWith("the appliance joining as b2 has the WireGuard key of member b (a copy of its disk?)"), cloneOfB);

            // the founder keeps the members' certificates: restarted, it takes them as peers before any packet (WireGuard drops the unknown)
            long kept = System.currentTimeMillis() + 5000;
            while (!Files.readString(dir.resolve("a/pool.json")).contains(m.certificate()) && System.currentTimeMillis() < kept) Thread.sleep(50);
            assertTrue(Files.readString(dir.resolve("a/pool.json")).contains(m.certificate()), "b's certificate kept with the founder's membership");
            Files.createDirectories(dir.resolve("a2"));
            Files.copy(dir.resolve("a/pool.json"), dir.resolve("a2/pool.json"));
            RecordingOverlay aAgain = new RecordingOverlay("10.213.77.11:51820", aWg.key); // the same appliance, restarted
            Membership restarted = Membership.resume(new Membership(dir.resolve("a2/pool.json"), new FactsCollector("a", () -> 1.0), now::get,
                    net.host("10.77.0.99"), null, aKey, aAgain));
            try {
                assertEquals("10.77.0.1", aAgain.upAs.getHostAddress());
                assertEquals("10.77.0.2", aAgain.peer("b").address().getHostAddress(), "a restarted founder takes b as a peer from what it kept");
            } finally {
                restarted.leave();
            }

            founder.remove(new dev.mosvm.api.RemoveRequest("c"));
            long deadline = System.currentTimeMillis() + 5000;
            while (aWg.peer("c") != null && System.currentTimeMillis() < deadline) Thread.sleep(50);
            assertEquals(null, aWg.peer("c"), "a removed member's peer goes");
            String fresh = founder.tokens(JoinTokenRequest.create(1, 3600)).issued(); // c's token went with it
            assertEquals("10.77.0.4", founder.admit(new JoinRequest(fresh, "d", key(), new RecordingOverlay("10.0.0.4:1").key, null)).overlayAddress(),
                    "a removed member's address is not given again");

            b.leave();
            assertTrue(bWg.removed, "leaving removes the interface");
        } finally {
            b.leave();
            founder.leave();
        }
    }

    /** The clock offset of a node {@code name} that joins {@code founder}, its join answer {@code delay} ms on its way. */
    long offsetAfterJoining(String name, Membership founder, String secret, AtomicLong here, long delay) throws Exception {
        NodeIdentity key = NodeIdentity.ephemeral();
        var offset = dev.mosvm.agent.timekeeping.PoolClockOffset.load(dir.resolve(name + "/pool-clock-offset"));
        offset.markApplied(0);
        Membership m = new Membership(dir.resolve(name + "/pool.json"), new FactsCollector(name, () -> 1.0), here::get, new InMemoryNetwork().host("10.0.0.9"),
                offset, key);
        try {
            PoolMembership answer = founder.admit(new JoinRequest(secret, name, key.publicKeyBase64()));
            here.addAndGet(delay);
            m.configure(answer);
            return offset.millis();
        } finally {
            m.leave();
            assertEquals(0, offset.millis(), "left the pool: back on the host's time");
        }
    }
}
