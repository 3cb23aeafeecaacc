package dev.mosvm.agent.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.GossipConfig;
import dev.mosvm.agent.net.DropCounters;
import dev.mosvm.agent.net.InMemoryNetwork;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.agent.net.PoolKeys;
import dev.mosvm.api.NodeInfo;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PoolMembership;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Several gossip services, as agents run them, in one JVM on an in-memory network (each on a
 * host of its own, all on the gossip port): they become one pool, an agent with another
 * pool's key learns and teaches nothing, a leaving one is LEFT at once, and a removed one is
 * cut off while the others take the founder's new key. The loopback test with real agent
 * processes (vm-manager's PoolOfLocalAgentsIntegrationTest) covers the same over real UDP.
 */
class GossipServiceTest {
    static final int PORT = 7946;
    static final long DEADLINE_MILLIS = 10_000;
    final InMemoryNetwork network = new InMemoryNetwork();
    final byte[] master = random();
    final String poolKey = Base64.getEncoder().encodeToString(random());
    final Map<String, GossipService> nodes = new LinkedHashMap<>();
    final Map<String, AtomicReference<PoolKeys>> keysTaken = new LinkedHashMap<>();

    static byte[] random() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    static String address(String node) {
        return "10.0.0." + (node.charAt(0) - 'a' + 1);
    }

    /** Starts {@code name} gossiping under {@code key}; "a" founds the pool, the others are seeded with it. */
    GossipService start(String name, String key) throws Exception {
        boolean founder = name.equals("a");
        Base64.Encoder b64 = Base64.getEncoder();
        PoolMembership m = new PoolMembership("lab", name, address(name), PORT, List.of(new PoolMembership.Key(1, key)), 1,
                founder ? List.of() : List.of(address("a") + ":" + PORT), "test", 0, 0, "a", founder ? b64.encodeToString(master) : null,
                b64.encodeToString(KeyEnvelope.nodeKey(master, "lab", name)), 0, List.of());
        NodeInfo facts = new NodeInfo(name, address(name), PORT, 2, 1.0, 0, 4L << 20, 0);
        AtomicReference<PoolKeys> taken = new AtomicReference<>();
        GossipService g = new GossipService(m, GossipConfig.test(), () -> facts, taken::set, network.host(address(name)));
        nodes.put(name, g);
        keysTaken.put(name, taken);
        return g;
    }

    @AfterEach
    void stopAll() {
        nodes.values().forEach(GossipService::close);
    }

    static NodeState stateOf(GossipService observer, String node) {
        return observer.view().stream().filter(v -> v.info().id().equals(node)).map(NodeView::state).findFirst().orElse(null);
    }

    /** Waits until {@code ok} holds; on the deadline fails with every node's view. */
    void await(String what, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000;
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder seen = new StringBuilder(what + " not reached in " + DEADLINE_MILLIS + " ms; views:");
                nodes.forEach((n, g) -> seen.append("\n  ").append(n).append(": ")
                        .append(g.view().stream().map(v -> v.info().id() + "=" + v.state()).toList()).append(", dropped ").append(g.drops()));
                throw new AssertionError(seen.toString());
            }
            Thread.sleep(20);
        }
    }

    void awaitPoolOf(List<String> members) throws InterruptedException {
        await("every one of " + members + " sees them all ALIVE", () -> members.stream().allMatch(o ->
                members.stream().allMatch(n -> stateOf(nodes.get(o), n) == NodeState.ALIVE)));
    }

    @Test
    void nodesSeededWithTheFounderBecomeOnePool() throws Exception {
        for (String n : List.of("a", "b", "c", "d")) start(n, poolKey);
        awaitPoolOf(List.of("a", "b", "c", "d"));
        NodeView c = nodes.get("b").view().stream().filter(v -> v.info().id().equals("c")).findFirst().orElseThrow();
        assertEquals(address("c"), c.info().address(), "b learned where c is through gossip");
        assertEquals(0, nodes.get("a").drops().total(), "nothing refused: " + nodes.get("a").drops());
    }

    @Test
    void aNodeWithAnotherPoolsKeyLearnsNothingAndIsCounted() throws Exception {
        start("a", poolKey);
        start("b", poolKey);
        awaitPoolOf(List.of("a", "b"));
        GossipService intruder = start("x", Base64.getEncoder().encodeToString(random()));
        await("a counts the intruder's packets", () -> nodes.get("a").drops().get(DropCounters.Reason.UNAUTHENTICATED) >= 3);
        assertNull(stateOf(nodes.get("a"), "x"), "a does not know the intruder");
        assertNull(stateOf(nodes.get("b"), "x"), "b does not know the intruder");
        assertEquals(List.of("x"), intruder.view().stream().map(v -> v.info().id()).toList(), "the intruder learned nothing");
    }

    @Test
    void aNodeThatLeavesIsLeftEverywhereAtOnce() throws Exception {
        for (String n : List.of("a", "b", "c")) start(n, poolKey);
        awaitPoolOf(List.of("a", "b", "c"));
        long t0 = System.nanoTime();
        nodes.get("c").leave();
        await("c LEFT at a and b", () -> stateOf(nodes.get("a"), "c") == NodeState.LEFT && stateOf(nodes.get("b"), "c") == NodeState.LEFT);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis < GossipConfig.test().suspectAfterMillis(), "announced, not detected: " + millis + " ms");
    }

    @Test
    void aRemovedNodeIsCutOffAndTheOthersTakeTheNewKey() throws Exception {
        for (String n : List.of("a", "b", "c")) start(n, poolKey);
        awaitPoolOf(List.of("a", "b", "c"));
        int newKey = nodes.get("a").remove("c");
        assertEquals(2, newKey);
        await("b takes key 2 from a", () -> keysTaken.get("b").get() != null && keysTaken.get("b").get().ring().primaryId() == newKey);
        assertEquals(List.of("c"), keysTaken.get("b").get().revokedNodes(), "b learns whom the pool removed");
        await("c gone from a's and b's views", () -> stateOf(nodes.get("a"), "c") == null && stateOf(nodes.get("b"), "c") == null);
        await("a refuses c's packets", () -> nodes.get("a").drops().get(DropCounters.Reason.REVOKED) > 0);
        assertNull(keysTaken.get("c").get(), "c never gets the new key");
        assertNull(stateOf(nodes.get("b"), "c"), "c is not readmitted through gossip");
        // past the grace period (the dead threshold) b holds only the new key, and a and b still hear each other
        await("b drops the old key", () -> keysTaken.get("b").get().ring().ids().equals(List.of(newKey)));
        long heard = GossipConfig.test().intervalMillis() * 5;
        await("a and b fresh to each other under the new key", () -> ageAt("a", "b") < heard && ageAt("b", "a") < heard);
    }

    long ageAt(String observer, String node) {
        return nodes.get(observer).view().stream().filter(v -> v.info().id().equals(node)).mapToLong(NodeView::ageMillis).findFirst()
                .orElse(Long.MAX_VALUE);
    }
}
