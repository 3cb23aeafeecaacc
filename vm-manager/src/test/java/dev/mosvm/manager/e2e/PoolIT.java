package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.builder.SafeDelete;
import dev.mosvm.manager.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three appliance VMs become one pool through the CLI (`pool init`, `join`), every agent
 * sees all three with their real facts and fresh information, bad joins are refused
 * clearly, a stopped VM turns DEAD within the configured time and a leaving one LEFT.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolIT {
    static final List<String> VMS = List.of("pa", "pb", "pc");
    Path home;
    MosvmCli cli;
    String token;
    String addressA;

    @BeforeAll
    void upThree() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-pool");
        cli = new MosvmCli(home);
        for (String vm : VMS) cli.run("up", vm, "--memory", "512M").ok();
    }

    @AfterAll
    void destroyAll() throws Exception {
        for (String vm : VMS) cli.run("destroy", vm);
        SafeDelete.deleteTree(home);
    }

    JsonNode nodes(String vm) throws Exception {
        return cli.run("nodes", "-i", vm, "--json").ok().json();
    }

    static String stateOf(JsonNode view, String node) {
        for (JsonNode n : view.get("nodes")) if (n.get("info").get("id").asText().equals(node)) return n.get("state").asText();
        return null;
    }

    @Test
    @Order(1)
    void initPrintsAJoinToken() throws Exception {
        MosvmCli.Result r = cli.run("pool", "init", "-i", "pa", "--name", "e2e").ok();
        token = r.out().lines().filter(l -> l.startsWith("join token")).findFirst().orElseThrow().replaceAll(".*: ", "");
        addressA = cli.run("status", "pa", "--json").ok().json().get("address").asText();
        assertTrue(token.startsWith("mosvm1.e2e."), r.out());
        assertTrue(r.out().contains("mosvm join " + addressA + " --token " + token), r.out());
    }

    @Test
    @Order(2)
    void badJoinsAreRefusedClearly() throws Exception {
        cli.run("join", addressA, "--token", "nonsense", "-i", "pb").fails(ExitCodes.INVALID_INPUT, "invalid join token");
        String wrongSecret = token.replaceFirst("^(mosvm1\\.e2e\\.)[A-Za-z0-9_-]{4}", "$1AAAA");
        cli.run("join", addressA, "--token", wrongSecret, "-i", "pb").fails(ExitCodes.BAD_STATE, "refused the token");
        cli.run("join", "127.0.0.1", "--token", token, "-i", "pb").fails(ExitCodes.FAILED, "cannot reach the pool");
        String addressC = cli.run("status", "pc", "--json").ok().json().get("address").asText();
        cli.run("join", addressC, "--token", token, "-i", "pb").fails(ExitCodes.BAD_STATE, "is not the node this token was made for");
        assertEquals(null, nodes("pb").get("pool").textValue(), "pb joined nothing");
    }

    @Test
    @Order(3)
    void twoJoinAndEveryoneSeesThreeWithRealFacts() throws Exception {
        for (String vm : List.of("pb", "pc")) {
            MosvmCli.Result r = cli.run("join", addressA, "--token", token, "-i", vm).ok();
            assertTrue(r.out().startsWith("pool e2e, seen from " + vm), r.out());
        }
        long deadline = System.currentTimeMillis() + 60_000;
        for (String vm : VMS) {
            JsonNode v = nodes(vm);
            while (v.get("nodes").size() < 3 || !allAlive(v)) {
                assertTrue(System.currentTimeMillis() < deadline, vm + " does not see three live nodes: " + v);
                Thread.sleep(1000);
                v = nodes(vm);
            }
            for (JsonNode n : v.get("nodes")) {
                JsonNode info = n.get("info");
                assertEquals(1, info.get("cpus").asInt(), n.toString());
                assertTrue(info.get("speed").asDouble() > 0 && info.get("freeMemKb").asLong() > 100 * 1024, n.toString());
                assertTrue(info.get("address").asText().startsWith("192.168.122."), n.toString());
                // lan profile: 1 s interval; three nodes hear from each other every few seconds
                assertTrue(n.get("ageMillis").asLong() < 10_000, "fresh information: " + n);
            }
        }
        String table = cli.run("nodes", "-i", "pb").ok().out();
        assertTrue(table.contains("pa") && table.contains("pc") && table.contains("ALIVE"), table);
        String frame = cli.run("mon", "-i", "pb", "--once").ok().out();
        assertTrue(frame.startsWith("mosvm mon  pool e2e  seen from pb") && frame.lines().filter(l -> l.contains("[")).count() == 3,
                "a bar per node: " + frame);
        frame.lines().forEach(l -> assertTrue(l.length() <= 80, "80 columns: " + l));

        // idle agent in a gossiping pool: its CPU share over 60 s, after 60 s for the JIT to
        // settle and with no other requests in between (a figure for docs/benchmarks.md)
        Thread.sleep(60_000);
        JsonNode f0 = cli.run("status", "pa", "--json").ok().json().get("facts");
        Thread.sleep(60_000);
        JsonNode f1 = cli.run("status", "pa", "--json").ok().json().get("facts");
        double share = (f1.get("agentCpuSeconds").asDouble() - f0.get("agentCpuSeconds").asDouble())
                / (f1.get("uptimeSeconds").asDouble() - f0.get("uptimeSeconds").asDouble());
        System.out.printf(java.util.Locale.ROOT, "idle agent CPU in a 3-node pool: %.2f %% of a core (TCG guest), RSS %d MiB%n",
                share * 100, f1.get("agentRssKb").asLong() / 1024);
        assertTrue(share > 0, "measured");
    }

    static boolean allAlive(JsonNode v) {
        for (JsonNode n : v.get("nodes")) if (!n.get("state").asText().equals("ALIVE")) return false;
        return true;
    }

    @Test
    @Order(4)
    void aStoppedVmTurnsDeadWithinTheConfiguredTime() throws Exception {
        long t0 = System.currentTimeMillis();
        MosvmCli.virsh("destroy", "mosvm-pc");
        String state = stateOf(nodes("pa"), "pc");
        while (!"DEAD".equals(state)) {
            assertTrue(System.currentTimeMillis() - t0 < 30_000 + 15_000, "pc still " + state + " after the 30 s dead threshold");
            Thread.sleep(1000);
            state = stateOf(nodes("pa"), "pc");
        }
        System.out.println("pc DEAD at pa after " + (System.currentTimeMillis() - t0) / 1000.0 + " s");
        assertTrue(System.currentTimeMillis() - t0 >= 25_000, "not before its information is near the threshold");
    }

    @Test
    @Order(5)
    void aLeavingNodeIsDroppedAtOnce() throws Exception {
        cli.run("leave", "-i", "pb").ok();
        long t0 = System.currentTimeMillis();
        while (!"LEFT".equals(stateOf(nodes("pa"), "pb"))) {
            assertTrue(System.currentTimeMillis() - t0 < 10_000, "pb not LEFT at pa");
            Thread.sleep(500);
        }
        assertEquals(null, nodes("pb").get("pool").textValue(), "pb is out of the pool");
    }
}
