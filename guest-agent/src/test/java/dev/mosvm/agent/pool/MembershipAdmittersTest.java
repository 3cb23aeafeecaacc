package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.identity.MemberCertificate;
import dev.mosvm.agent.identity.MemberCheck;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.agent.net.InMemoryNetwork;
import dev.mosvm.agent.node.FactsCollector;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.AdmittersList;
import dev.mosvm.api.AdmittersRequest;
import dev.mosvm.api.JoinRequest;
import dev.mosvm.api.JoinTokenRequest;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.RemoveRequest;
import dev.mosvm.api.RemoveResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A member the founder names admits and removes members while the founder is off; the founder takes the removal when it is back. */
class MembershipAdmittersTest {
    @TempDir Path dir;

    private final InMemoryNetwork net = new InMemoryNetwork();
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    private final Map<String, Membership> reachable = new ConcurrentHashMap<>();
    private final Set<String> off = ConcurrentHashMap.newKeySet();

    /** A member on this test's network, whose peer requests reach the others directly (or fail, for a member that is off). */
    private Membership member(String name, String address, NodeIdentity key, RecordingOverlay wg) throws IOException {
        Membership m = new Membership(dir.resolve(name + "/pool.json"), new FactsCollector(name, () -> 1.0), now::get, net.host(address), null, key, wg);
        m.courier((to, req) -> {
            Membership there = reachable.get(to);
            if (there == null || off.contains(to)) throw new IOException("cannot reach " + to);
            try {
                return there.servePeer(name, req);
            } catch (Exception e) {
                throw new Membership.Refused(e.getMessage());
            }
        });
        reachable.put(name, m);
        return m;
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) Thread.sleep(50);
        assertTrue(done.getAsBoolean(), what);
    }

    private static boolean sees(Membership m, String node, NodeState state) {
        return m.members().stream().anyMatch(v -> v.info().id().equals(node) && v.state() == state);
    }

    @Test
    void aNamedAdmitterAdmitsAndRemovesWhileTheFounderIsOffAndTheFounderRotatesWhenBack() throws Exception {
        NodeIdentity bKey = NodeIdentity.ephemeral(), dKey = NodeIdentity.ephemeral();
        RecordingOverlay aWg = new RecordingOverlay("192.168.1.10:51820"), bWg = new RecordingOverlay("192.168.1.11:51820"),
                dWg = new RecordingOverlay("192.168.1.12:51820");
        Membership a = member("a", "10.77.0.1", NodeIdentity.ephemeral(), aWg);
        Membership b = member("b", "10.77.0.2", bKey, bWg);
        Membership d = member("d", "10.77.2.1", dKey, dWg);
        try {
            String secret = a.init(new PoolInitRequest("lab", 3600, 200, 16, false, 5, "wireguard")).joinSecret();
            b.configure(a.admit(new JoinRequest(secret, "b", bKey.publicKeyBase64(), bWg.key, bWg.endpoint.toString())));
            await(() -> sees(a, "b", NodeState.ALIVE), "the founder sees b");

            assertEquals("no live member named 'zz' in pool lab; an admitter must be up to be named",
                    assertThrows(IllegalStateException.class, () -> a.admitters(AdmittersRequest.add("zz"))).getMessage());
            assertEquals("only the pool's founder, a, names admitters; run this on its workstation",
                    assertThrows(IllegalStateException.class, () -> b.admitters(AdmittersRequest.add("b"))).getMessage());
            assertEquals("only the pool's founder, a, and the admitters it names issue join tokens; run this on one of their workstations",
                    assertThrows(IllegalStateException.class, () -> b.tokens(JoinTokenRequest.create(1, 3600))).getMessage());
            off.add("b");
            assertTrue(assertThrows(IllegalStateException.class, () -> a.admitters(AdmittersRequest.add("b"))).getMessage()
                    .startsWith("cannot name b an admitter: cannot reach b; nothing changed"));
            assertEquals(List.of(), a.admitters(AdmittersRequest.list()).admitters(), "an admitter that could not be told is none");
            off.remove("b");
            assertEquals(List.of(new AdmittersList.Admitter("b", 2)), a.admitters(AdmittersRequest.add("b")).admitters(),
                    "number 1 went with the grant that found nobody: a lost answer could have left it with b");
            assertFalse(Files.readString(dir.resolve("b/pool.json")).contains("\"grant\":null"), "b keeps its grant across a restart");

            off.add("a"); // the founder's workstation is off from here on
            String bToken = b.tokens(JoinTokenRequest.create(2, 3600)).issued();
            assertEquals("'a' is the name of pool lab's founder",
                    assertThrows(IllegalStateException.class, () -> b.admit(new JoinRequest(bToken, "a", NodeIdentity.ephemeral().publicKeyBase64(),
                            new RecordingOverlay("192.168.1.66:1").key, null))).getMessage());
            PoolMembership dm = b.admit(new JoinRequest(bToken, "d", dKey.publicKeyBase64(), dWg.key, dWg.endpoint.toString()));
            assertEquals("10.77.2.1", dm.overlayAddress(), "admitter 2 seats its joiners in 10.77.2.0/24");
            assertEquals("b", dm.admittedBy(), "d follows b's time");
            assertEquals(List.of("10.77.0.2:7946"), dm.seeds());
            assertNull(dm.grant(), "admitting hands on no grant");
            MemberCertificate dc = MemberCheck.of("lab", dm.authorityKey(), n -> false).check(Base64.getDecoder().decode(dm.certificate()), "d");
            assertEquals("b", dc.issuer(), "certified with the pool's own key, by b");
            d.configure(dm);
            await(() -> sees(b, "d", NodeState.ALIVE), "b sees d");
            assertEquals("pool lab has a member named 'd' with another identity key; only the founder, a, admits it again under a new key",
                    assertThrows(IllegalStateException.class, () -> b.admit(new JoinRequest(bToken, "d", NodeIdentity.ephemeral().publicKeyBase64(),
                            new RecordingOverlay("192.168.1.67:1").key, null))).getMessage());

            assertEquals("an admitter cannot remove the pool's founder, a",
                    assertThrows(IllegalArgumentException.class, () -> b.remove(new RemoveRequest("a"))).getMessage());
            RemoveResponse r = b.remove(new RemoveRequest("d"));
            assertEquals("a", r.founderPending(), "the founder is off: it rotates the key when it is back");
            assertEquals(0, r.keyId());
            assertTrue(b.keys().revoked("d"), "b refuses d at once");
            await(() -> bWg.peer("d") == null, "and drops it from its overlay");
            int epochBefore = a.keys().epoch();

            off.remove("a"); // back
            b.deliverNotices();
            assertTrue(a.keys().revoked("d"), "the founder takes the removal");
            assertEquals(epochBefore + 1, a.keys().epoch(), "and hands the others a gossip key d never gets");
            b.deliverNotices();
            assertEquals("node 'd' was already removed", assertThrows(IllegalStateException.class, () -> a.remove(new RemoveRequest("d"))).getMessage());

            // a member the founder never saw: admitted and removed by b while the founder was off
            off.add("a");
            String eToken = b.tokens(JoinTokenRequest.create(1, 3600)).issued(); // d's token went with it
            b.admit(new JoinRequest(eToken, "e", NodeIdentity.ephemeral().publicKeyBase64(), new RecordingOverlay("192.168.1.69:1").key, null));
            assertEquals("a", b.remove(new RemoveRequest("e")).founderPending());
            off.remove("a");
            int epochThen = a.keys().epoch();
            b.deliverNotices();
            assertTrue(a.keys().revoked("e"), "the founder takes the notice for a member it never knew");
            assertEquals(epochThen + 1, a.keys().epoch());
            String bNotice = Base64.getEncoder().encodeToString(PoolAuthority.restore(grantOf(b).authoritySecret(), authorityKeyOf(a), "b")
                    .removal("lab", "c", now.get() / 1000).encode());
            assertEquals("a removal notice signed by b but delivered by d",
                    assertThrows(SecurityException.class, () -> a.servePeer("d", PeerRequest.revoke(bNotice))).getMessage());

            // notices the pool did not sign, or that name the founder, change nothing
            PoolAuthority stranger = PoolAuthority.create("x");
            String forged = Base64.getEncoder().encodeToString(stranger.removal("lab", "b", now.get() / 1000).encode());
            assertEquals("a removal notice the pool did not sign",
                    assertThrows(SecurityException.class, () -> a.servePeer("b", PeerRequest.revoke(forged))).getMessage());
            assertFalse(a.keys().revoked("b"));
            PoolAuthority pools = PoolAuthority.restore(grantOf(b).authoritySecret(), authorityKeyOf(a), "b");
            String founderOut = Base64.getEncoder().encodeToString(pools.removal("lab", "a", now.get() / 1000).encode());
            assertEquals("a removal notice naming the founder",
                    assertThrows(SecurityException.class, () -> b.servePeer("b", PeerRequest.revoke(founderOut))).getMessage());
            assertEquals("only the founder names admitters, not b",
                    assertThrows(SecurityException.class, () -> b.servePeer("b", PeerRequest.grant("AAAA"))).getMessage());

            String unused = b.tokens(JoinTokenRequest.create(1, 3600)).issued();
            a.admitters(AdmittersRequest.remove("b"));
            assertNull(grantOf(b), "withdrawn");
            assertThrows(IllegalStateException.class, () -> b.tokens(JoinTokenRequest.create(1, 3600)), "a withdrawn admitter issues no tokens");
            assertThrows(SecurityException.class, () -> b.admit(new JoinRequest(unused, "f", NodeIdentity.ephemeral().publicKeyBase64(),
                    new RecordingOverlay("192.168.1.68:1").key, null)), "nor do the tokens it issued admit");
            assertEquals(List.of(new AdmittersList.Admitter("b", 3)), a.admitters(AdmittersRequest.add("b")).admitters(),
                    "named again, it gets a new number: joiners of its first keep their addresses");
        } finally {
            d.leave();
            b.leave();
            a.leave();
        }
    }

    private PoolMembership.Grant grantOf(Membership m) throws Exception {
        return dev.mosvm.api.Json.MAPPER.readValue(Files.readString(dir.resolve(nameOf(m) + "/pool.json")), PoolMembership.class).grant();
    }

    private String nameOf(Membership m) {
        return reachable.entrySet().stream().filter(e -> e.getValue() == m).findFirst().orElseThrow().getKey();
    }

    private String authorityKeyOf(Membership m) throws Exception {
        return dev.mosvm.api.Json.MAPPER.readValue(Files.readString(dir.resolve(nameOf(m) + "/pool.json")), PoolMembership.class).authorityKey();
    }
}
