package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.EntryProof;
import dev.mosvm.agent.gossip.GossipCodec;
import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.gossip.GossipMessage;
import dev.mosvm.agent.gossip.WireEntry;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.identity.PoolAuthority;
import dev.mosvm.agent.net.DropCounters;
import dev.mosvm.agent.net.InMemoryNetwork;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.agent.net.PacketSealer;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.agent.net.Transport;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolMembership;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Gossip where every member signs its own entry, on an in-memory network: members learn each
 * other's certificates by asking whoever brought them entries they could not check, and become one
 * pool; a member that announces another's load, under the pool's key and its own signature,
 * is refused and counted, and the announced member's entry stays as it said it.
 */
class SignedGossipTest {
    static final int PORT = 7946;
    final InMemoryNetwork network = new InMemoryNetwork();
    final byte[] master = GossipServiceTest.random();
    final String poolKey = Base64.getEncoder().encodeToString(GossipServiceTest.random());
    final PoolAuthority authority = PoolAuthority.create("a");
    final Map<String, NodeIdentity> identities = new LinkedHashMap<>();
    final Map<String, GossipService> nodes = new LinkedHashMap<>();

    GossipService start(String name) throws Exception {
        return start(name, 0);
    }

    /** Starts {@code name} with a new key, certified as issued at {@code issuedAt}. */
    GossipService start(String name, long issuedAt) throws Exception {
        NodeIdentity id = NodeIdentity.ephemeral();
        identities.put(name, id);
        byte[] cert = authority.certify("lab", name, id.publicKey(), issuedAt).encode();
        boolean founder = name.equals("a");
        Base64.Encoder b64 = Base64.getEncoder();
        PoolMembership m = new PoolMembership("lab", name, GossipServiceTest.address(name), PORT, List.of(new PoolMembership.Key(1, poolKey)), 1,
                founder ? List.of() : List.of(GossipServiceTest.address("a") + ":" + PORT), "test", 0, 0, "a", founder ? b64.encodeToString(master) : null,
                b64.encodeToString(KeyEnvelope.nodeKey(master, "lab", name)), 0, List.of(), false, authority.publicKeyBase64(), null,
                b64.encodeToString(cert), 0);
        NodeInfo facts = new NodeInfo(name, GossipServiceTest.address(name), PORT, 2, 1.0, 0.5, 4L << 20, 0);
        GossipService g = new GossipService(m, id, GossipConfig.test(), () -> facts, k -> { }, network.host(GossipServiceTest.address(name)), null);
        nodes.put(name, g);
        return g;
    }

    @AfterEach
    void stopAll() {
        nodes.values().forEach(GossipService::close);
    }

    static NodeView viewOf(GossipService observer, String node) {
        return observer.view().stream().filter(v -> v.info().id().equals(node)).findFirst().orElse(null);
    }

    static void await(String what, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!ok.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(20);
        }
    }

    void awaitPoolOf(List<String> members) throws InterruptedException {
        await("every one of " + members + " sees them all ALIVE", () -> members.stream().allMatch(o -> members.stream().allMatch(n -> {
            NodeView v = viewOf(nodes.get(o), n);
            return v != null && v.state() == NodeState.ALIVE;
        })));
    }

    @Test
    void signedMembersLearnEachOthersKeysAndBecomeOnePool() throws Exception {
        // nobody is told anyone's certificate: each asks whoever brought it entries it could not check
        for (String n : List.of("a", "b", "c", "d")) start(n);
        awaitPoolOf(List.of("a", "b", "c", "d"));
        for (GossipService g : nodes.values()) {
            assertEquals(0, g.drops().get(DropCounters.Reason.FORGED), g.drops().toString());
            assertEquals(0, g.drops().get(DropCounters.Reason.MALFORMED), g.drops().toString());
        }
    }

    @Test
    void idleMembersWhoseFactsDoNotChangeStayAlive() throws Exception {
        for (String n : List.of("a", "b")) start(n);
        awaitPoolOf(List.of("a", "b"));
        Thread.sleep(2 * GossipConfig.test().suspectAfterMillis()); // facts here never change: only signing anew keeps entries fresh
        for (String o : List.of("a", "b")) {
            for (String n : List.of("a", "b")) assertEquals(NodeState.ALIVE, viewOf(nodes.get(o), n).state(), o + "'s view of " + n);
        }
    }

    @Test
    void aMemberThatJoinsAgainWithANewKeyIsBelievedAgain() throws Exception {
        for (String n : List.of("a", "b", "c")) start(n);
        awaitPoolOf(List.of("a", "b", "c"));
        nodes.remove("c").close();
        start("c", 60); // its disk was remade: a new key, certified later; nobody is told, b and a ask
        await("b finds c's new entries do not check with its old key", () -> nodes.get("b").drops().get(DropCounters.Reason.FORGED) > 0);
        // past the dead threshold, c is still ALIVE everywhere only if its new entries are believed
        Thread.sleep(GossipConfig.test().deadAfterMillis() + 500);
        awaitPoolOf(List.of("a", "b", "c"));
    }

    @Test
    void aMemberAnnouncingAnothersLoadIsRefusedAndCounted() throws Exception {
        for (String n : List.of("a", "b", "c")) start(n);
        awaitPoolOf(List.of("a", "b", "c"));
        // c, a member holding the pool key, says b is idle with 99 CPUs: signed by c, as c is the only key it has
        NodeInfo cInfo = new NodeInfo("c", GossipServiceTest.address("c"), PORT, 2, 1.0, 0.5, 4L << 20, 0);
        NodeInfo fakeB = new NodeInfo("b", GossipServiceTest.address("b"), PORT, 99, 9.0, 0, 64L << 20, 0);
        long seq = System.currentTimeMillis() + 60_000;
        NodeIdentity c = identities.get("c");
        GossipMessage forged = new GossipMessage("c", List.of(
                new WireEntry(cInfo, 0, false, new EntryProof(seq, c.sign(GossipCodec.signedBytes(cInfo, false, seq)))),
                new WireEntry(fakeB, 0, false, new EntryProof(seq, c.sign(GossipCodec.signedBytes(fakeB, false, seq))))));
        PacketSealer sealer = new PacketSealer("c", new PoolKeys(new PoolMembership("lab", "c", "x", PORT, List.of(new PoolMembership.Key(1, poolKey)), 1,
                List.of(), "test", 0, 0, "a", null, null, 0, List.of())).ring(), new DropCounters(), System::currentTimeMillis, 60_000);
        Transport from = network.host("10.0.0.99").open(new InetSocketAddress(0), (d, l) -> { });
        for (int i = 0; i < 5; i++) {
            from.send(GossipServiceTest.address("a"), PORT, sealer.seal(GossipCodec.encode(forged)));
            Thread.sleep(50);
        }
        await("a counts the forged entries", () -> nodes.get("a").drops().get(DropCounters.Reason.FORGED) >= 5);
        assertEquals(2, viewOf(nodes.get("a"), "b").info().cpus(), "b's entry is as b signed it");
        // and an entry without a signature is not believed either
        GossipMessage unsigned = new GossipMessage("c", List.of(forged.entries().get(0), new WireEntry(fakeB, 0, false)));
        long before = nodes.get("a").drops().get(DropCounters.Reason.UNPROVEN);
        from.send(GossipServiceTest.address("a"), PORT, sealer.seal(GossipCodec.encode(unsigned)));
        await("a counts the unsigned entry", () -> nodes.get("a").drops().get(DropCounters.Reason.UNPROVEN) > before);
        assertEquals(2, viewOf(nodes.get("a"), "b").info().cpus());
        from.close();
    }
}
