package dev.mosvm.manager.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.Json;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.NodeView;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.PoolView;
import dev.mosvm.api.AgentException;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.manager.LocalAgents;
import dev.mosvm.manager.appliance.GuestIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Five real agent processes (the agent jar) on loopback gossip as one pool over sealed UDP:
 * they converge, a killed one turns DEAD, it comes back ALIVE when restarted, one that leaves
 * is LEFT at once, and an agent with another pool's key learns and teaches nothing. A node
 * removed by the founder is cut off: the others get a new key it never sees, including a
 * member that was down during the rotation and comes back with the old one.
 * Uses the agents' own HTTPS API, as `mosvm nodes` does. Real processes and real UDP are the
 * point here (guest-agent's GossipServiceTest runs the protocol in one JVM on an in-memory
 * network), so it is an integration test: it needs the packaged agent jar and loopback ports.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolOfLocalAgentsIntegrationTest {
    Path dir;
    final Map<String, Process> agents = new HashMap<>();
    final Map<String, AgentClient> clients = new HashMap<>();
    final Map<String, Integer> gossipPorts = new HashMap<>();
    final Map<String, Integer> httpsPorts = new HashMap<>();
    final String poolKey = LocalAgents.randomKey();
    final byte[] master = Base64.getDecoder().decode(LocalAgents.randomKey());
    final dev.mosvm.agent.identity.PoolAuthority authority = dev.mosvm.agent.identity.PoolAuthority.create("n1");
    static final List<String> NAMES = List.of("n1", "n2", "n3", "n4", "n5");

    static String encode(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    void start(String name, String key, boolean seedless) throws Exception {
        GuestIdentity id = GuestIdentity.generate(name);
        Path cfg = dir.resolve(name + "-guest.json");
        Files.writeString(cfg, Json.MAPPER.writeValueAsString(id.guestConfig()));
        int udp = gossipPorts.computeIfAbsent(name, n -> {
            try {
                return LocalAgents.freeUdp();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> seeds = seedless ? List.of() : List.of("127.0.0.1:" + gossipPorts.get("n1"));
        Path pool = dir.resolve(name).resolve("pool.json"); // a directory each: an agent keeps its identity beside its membership
        // n1 founded the pool: it holds the master secret, every other node its own node key
        boolean founder = name.equals("n1");
        PoolMembership m = new PoolMembership("test-pool", name, "127.0.0.1", udp, List.of(new PoolMembership.Key(1, key)), 1, seeds,
                "test", 0, 0, "n1", founder ? encode(master) : null,
                encode(KeyEnvelope.nodeKey(master, "test-pool", name)), 0, List.of());
        m = LocalAgents.certified(m, pool, authority, founder);
        if (!Files.exists(pool)) Files.writeString(pool, Json.MAPPER.writeValueAsString(m)); // a restart keeps what the agent saved
        int https = LocalAgents.freeTcp();
        httpsPorts.put(name, https);
        Path jar = agentJar();
        Process p = new ProcessBuilder("java", "-Xmx64m", "-Djava.io.tmpdir=" + dir, "-jar", jar.toString(), "serve", "--config", cfg.toString(),
                "--port", String.valueOf(https), "--pool", pool.toString(), "--speed-budget-ms", "30", "--poweroff-command", "true")
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        agents.put(name, p);
        clients.put(name, new AgentClient("127.0.0.1", https, PinnedCertificateTrust.parsePem(id.certificatePem()),
                id.guestConfig().secret(), Duration.ofSeconds(5)));
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.readString(dir.resolve(name + ".log")).contains("mosvm-agent: ready")) {
            assertTrue(p.isAlive(), () -> name + " died: " + log(name));
            assertTrue(System.currentTimeMillis() < deadline, name + " not ready");
            Thread.sleep(100);
        }
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    PoolView view(String name) {
        try {
            return clients.get(name).nodes();
        } catch (Exception e) {
            throw new AssertionError(name + ": " + e.getMessage(), e);
        }
    }

    static NodeState stateOf(PoolView v, String node) {
        return v.nodes().stream().filter(n -> n.info().id().equals(node)).map(NodeView::state).findFirst().orElse(null);
    }

    /** Waits until every listed agent's view satisfies the condition; returns the seconds it took. */
    double await(List<String> observers, Predicate<PoolView> ok, long timeoutMillis, String what) throws Exception {
        long t0 = System.currentTimeMillis();
        while (true) {
            if (observers.stream().allMatch(o -> ok.test(view(o)))) return (System.currentTimeMillis() - t0) / 1000.0;
            if (System.currentTimeMillis() - t0 > timeoutMillis) {
                StringBuilder b = new StringBuilder(what + " not reached in " + timeoutMillis + " ms:");
                for (String o : observers) b.append("\n  ").append(o).append(": ").append(view(o).nodes().stream()
                        .map(n -> n.info().id() + "=" + n.state() + "/" + n.ageMillis()).toList());
                throw new AssertionError(b.toString());
            }
            Thread.sleep(100);
        }
    }

    @BeforeAll
    void startPool() throws Exception {
        dir = Files.createTempDirectory("mosvm-pool-test");
        start("n1", poolKey, true);
        for (String n : NAMES.subList(1, NAMES.size())) start(n, poolKey, false);
    }

    @AfterAll
    void stopAll() throws Exception {
        agents.values().forEach(Process::destroyForcibly);
        for (Process p : agents.values()) p.waitFor();
        dev.mosvm.builder.SafeDelete.deleteTree(dir);
    }

    @Test
    @Order(1)
    void fiveAgentsConvergeOnOnePoolWithFreshFacts() throws Exception {
        double took = await(NAMES, v -> v.nodes().size() == 5 && v.nodes().stream().allMatch(n -> n.state() == NodeState.ALIVE),
                15_000, "everyone sees five ALIVE nodes");
        System.out.println("converged in " + took + " s");
        PoolView v = view("n2");
        assertEquals("test-pool", v.pool());
        for (NodeView n : v.nodes()) {
            assertTrue(n.ageMillis() < 2_000, "information is fresh: " + n);
            assertTrue(n.info().cpus() >= 1 && n.info().speed() > 0 && n.info().freeMemKb() > 0, "real facts: " + n.info());
        }
    }

    /** `mosvm nodes` and `mosvm mon --once` as run inside an appliance: the agent jar's in-guest CLI. */
    @Test
    @Order(2)
    void theInGuestCommandsShowTheSamePool() throws Exception {
        String table = guestCli("n2", "nodes");
        assertTrue(table.startsWith("pool test-pool, seen from n2"), table);
        for (String n : NAMES) assertTrue(table.lines().anyMatch(l -> l.startsWith(n + " ") && l.contains("ALIVE")), n + " in\n" + table);
        PoolView json = Json.MAPPER.readValue(guestCli("n2", "nodes", "--json"), PoolView.class);
        assertEquals(5, json.nodes().size());
        String frame = guestCli("n2", "mon", "--once");
        assertEquals(5, frame.lines().filter(l -> l.contains("[")).count(), "a bar per node: " + frame);
        Process bad = new ProcessBuilder("java", "-cp", agentJar().toString(), "dev.mosvm.agent.cli.GuestCli", "nodes",
                "--config", dir.resolve("missing.json").toString()).redirectErrorStream(true).start();
        String err = new String(bad.getInputStream().readAllBytes());
        assertEquals(4, bad.waitFor(), err);
        assertTrue(err.startsWith("mosvm: error: no guest configuration at") && err.lines().count() == 1, "one clear line: " + err);
    }

    static Path agentJar() {
        return Path.of(System.getProperty("mosvm.agentJar", "../guest-agent/target/mosvm-agent.jar"));
    }

    String guestCli(String node, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java", "-cp", agentJar().toString(), "dev.mosvm.agent.cli.GuestCli"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", dir.resolve(node + "-guest.json").toString(), "--agent-port", String.valueOf(httpsPorts.get(node))));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "exit status of " + cmd);
        return out;
    }

    @Test
    @Order(3)
    void aKilledAgentTurnsDeadAndComesBackWhenRestarted() throws Exception {
        agents.get("n3").destroyForcibly().waitFor();
        List<String> rest = List.of("n1", "n2", "n4", "n5");
        double dead = await(rest, v -> stateOf(v, "n3") == NodeState.DEAD, 15_000, "n3 DEAD everywhere");
        assertTrue(dead <= 4.0 + 3.0, "detected within the test profile's 4 s dead threshold plus gossip: " + dead);
        start("n3", poolKey, false);
        await(NAMES, v -> stateOf(v, "n3") == NodeState.ALIVE, 15_000, "n3 ALIVE again");
    }

    @Test
    @Order(4)
    void anAgentWithAnotherKeyGetsNothingAndIsCounted() throws Exception {
        start("intruder", LocalAgents.randomKey(), false);
        Thread.sleep(3_000);
        for (String n : NAMES) assertEquals(null, stateOf(view(n), "intruder"), n + " must not know the intruder");
        assertEquals(1, view("intruder").nodes().size(), "the intruder learned nothing");
        assertTrue(view("n1").dropped().get("unauthenticated") > 0, "its packets were counted: " + view("n1").dropped());
        agents.get("intruder").destroyForcibly();
    }

    @Test
    @Order(5)
    void aNodeThatLeavesIsDroppedAtOnce() throws Exception {
        clients.get("n5").leavePool();
        double took = await(List.of("n1", "n2", "n3", "n4"), v -> stateOf(v, "n5") == NodeState.LEFT, 5_000, "n5 LEFT everywhere");
        assertTrue(took < 2.0, "leaving is announced, not detected: " + took + " s");
    }

    @Test
    @Order(6)
    void aRemovedNodeIsCutOffWhileAMemberAwayDuringTheRotationComesBack() throws Exception {
        agents.get("n3").destroyForcibly().waitFor(); // away while the key changes
        var removed = clients.get("n1").removeFromPool("n4");
        assertEquals("n4", removed.removed());
        assertTrue(removed.keyId() != 1, "a new key: " + removed);
        double gone = await(List.of("n1", "n2"), v -> stateOf(v, "n4") == null, 5_000, "n4 gone from the views");
        System.out.println("removed node dropped from the views in " + gone + " s");

        AgentException again = assertThrows(AgentException.class, () -> clients.get("n1").removeFromPool("n4"));
        assertTrue(again.getMessage().contains("already removed"), again.getMessage());
        AgentException notFounder = assertThrows(AgentException.class, () -> clients.get("n2").removeFromPool("n1"));
        assertTrue(notFounder.getMessage().contains("only the pool's founder, n1"), notFounder.getMessage());
        AgentException unknown = assertThrows(AgentException.class, () -> clients.get("n1").removeFromPool("nobody"));
        assertTrue(unknown.getMessage().contains("no node named 'nobody'"), unknown.getMessage());

        // past the grace period (the test profile's 4 s dead threshold) the old key is gone:
        // n1 and n2 still gossip, so both hold the new key; n4 hears nothing any more
        Thread.sleep(5_000);
        await(List.of("n1", "n2"), v -> stateOf(v, "n1") == NodeState.ALIVE && stateOf(v, "n2") == NodeState.ALIVE
                && v.nodes().stream().filter(n -> n.state() == NodeState.ALIVE).allMatch(n -> n.ageMillis() < 2_000), 5_000,
                "n1 and n2 fresh under the new key");
        await(List.of("n4"), v -> stateOf(v, "n1") == NodeState.DEAD && stateOf(v, "n2") == NodeState.DEAD, 10_000,
                "the pool DEAD to the removed node");
        assertNull(stateOf(view("n2"), "n4"), "n4 is not readmitted through gossip");
        assertTrue(view("n1").dropped().get("revoked") > 0, "n4's packets refused and counted: " + view("n1").dropped());
        PoolMembership saved = Json.MAPPER.readValue(dir.resolve("n2").resolve("pool.json").toFile(), PoolMembership.class);
        assertEquals(removed.keyId(), saved.primaryKey(), "the member saved the new key");
        assertEquals(List.of("n4"), saved.revoked());
        assertEquals(1, saved.keys().size(), "a member keeps only the current key");

        start("n3", poolKey, false); // restarts with the old key only
        await(List.of("n1", "n2", "n3"), v -> stateOf(v, "n1") == NodeState.ALIVE && stateOf(v, "n2") == NodeState.ALIVE
                && stateOf(v, "n3") == NodeState.ALIVE && stateOf(v, "n4") == null, 15_000, "n3 back under the new key");
    }
}
