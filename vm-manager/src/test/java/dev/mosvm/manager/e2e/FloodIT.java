package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.manager.FloodSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An appliance floods its own agent over loopback (scripts/flood-agent.sh, run inside ca:
 * thousands of garbage connections to the API, the peer service and the job socket, slow
 * clients, garbage datagrams to gossip, bounded in count and time) while two jobs homed on ca
 * run, one on ca and one on cb. Both nodes stay ALIVE throughout, as cb sees the pool and then
 * as ca does; the jobs run on and finish with exactly their output and status; ca's agent
 * dropped every slow client and reports the connections it refused and no task restarted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(3) // on the run's pool of two, before the classes that destroy cb
@Tag(E2eGroups.POOL_OF_TWO)
class FloodIT extends PoolTestBase {
    static final String DIR = "/pool/ca/flood";
    /** 30 s in the suite; -Dflood.seconds=60 is the full flood. */
    static final int FLOOD_SECONDS = Integer.getInteger("flood.seconds", 30);
    /**
     * What the flood sends scales with its length: inside a 1-vCPU TCG guest the generator itself
     * makes 1300 to 2000 connections a minute, depending on the host, so a fixed count would
     * measure the host. The generator may take twice its nominal length to send them all.
     */
    static final int CONNECTIONS = 1000 * FLOOD_SECONDS / 30;
    static final int DATAGRAMS = 5000 * FLOOD_SECONDS / 30;
    static final int FLOOD_CAP_SECONDS = 2 * FLOOD_SECONDS;
    /** A line a second: the jobs outlive even the longest flood. */
    static final int LINES = FLOOD_CAP_SECONDS + 15;

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
        install("ca", "/usr/local/bin/bg-job", resource("bg-job"), "755");
        install("ca", "/usr/local/bin/flood-agent.sh", Files.readAllBytes(Path.of("../scripts/flood-agent.sh")), "755");
        // alice's jobs: root's stay home, and one of these runs on cb
        sh("ca", ADD_ALICE + "; rm -rf " + DIR + " && mkdir -p " + DIR + " && chown alice: " + DIR);
        // a line a second, naming the node it runs on, then status 3
        install("ca", DIR + "/lines.sh", ("i=0; while [ $i -lt " + LINES + " ]; do i=$((i + 1)); echo \"line $i from $(hostname)\"; sleep 1; done; exit 3\n")
                .getBytes(), "644");
    }

    static String expected(String node) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= LINES; i++) b.append("line ").append(i).append(" from ").append(node).append('\n');
        return b.toString();
    }

    static Map<String, String> states(JsonNode view) {
        Map<String, String> m = new HashMap<>();
        for (JsonNode n : view.get("nodes")) m.put(n.get("info").get("id").asText(), n.get("state").asText());
        return m;
    }

    @Test
    @Order(1)
    void floodedFromInsideItsApplianceTheAgentKeepsBothNodesAliveAndTheJobsRunning() throws Exception {
        sh("ca", "su alice -c 'bg-job " + DIR + " home -L sh lines.sh; bg-job " + DIR + " away -r cb sh lines.sh'");
        for (String job : List.of("home", "away")) waitUntil("ca", "cat " + DIR + "/" + job + ".out 2>/dev/null | wc -l", s -> Integer.parseInt(s) >= 3, 120);

        sh("ca", "rm -f /root/flood.out; setsid nohup flood-agent.sh --connections " + CONNECTIONS + " --slow 20 --datagrams " + DATAGRAMS + " --seconds " + FLOOD_CAP_SECONDS
                + " > /root/flood.out.tmp 2>&1 < /dev/null && mv /root/flood.out.tmp /root/flood.out &");
        // meanwhile, as cb sees the pool: ca keeps gossiping, until the flood ends
        List<String> seen = new ArrayList<>();
        Instant floodEnds = Instant.now().plusSeconds(FLOOD_CAP_SECONDS);
        while (Instant.now().isBefore(floodEnds) && sh("ca", "test -e /root/flood.out && echo done || true").isEmpty()) {
            Map<String, String> s = states(cli.nodes("cb"));
            seen.add(s.toString());
            assertEquals(Map.of("ca", "ALIVE", "cb", "ALIVE"), s, "both ALIVE as cb sees them while ca is flooded; so far " + seen);
            Thread.sleep(3000); // the pace of the observations, not a wait for a condition
        }
        waitUntil("ca", "cat /root/flood.out 2>/dev/null || true", s -> s.startsWith("flood:"), 120);
        String out = sh("ca", "cat /root/flood.out");
        System.out.println("inside ca: " + out);
        Map<String, Integer> flood = FloodSummary.parse(out);
        assertEquals(CONNECTIONS, flood.get("connections"), "every connection made: " + out);
        assertEquals(DATAGRAMS, flood.get("datagrams"), "every datagram sent: " + out);
        assertEquals(0, flood.get("slow_still_open"), "every slow client dropped by ca's agent: " + out);

        // afterwards, as ca itself sees it: its API answers again, both ALIVE
        JsonNode view = Await.until("ca's agent answering after the flood", Duration.ofSeconds(60), Duration.ofSeconds(2),
                () -> cli.run("nodes", "-i", "ca", "--json"), r -> r.exit() == 0).json();
        assertEquals(Map.of("ca", "ALIVE", "cb", "ALIVE"), states(view), view.toString());
        JsonNode serving = cli.run("status", "ca", "--json").ok().json().get("facts").get("serving");
        assertTrue(serving.get("refusedConnections").asLong() > 0, "ca's agent counted what it refused: " + serving);
        assertEquals(0, serving.get("restartedTasks").asLong(), "and no task of it failed: " + serving);

        // the jobs ran on through it, and end as they would have anyway
        for (String job : List.of("home", "away")) waitUntil("ca", "cat " + DIR + "/" + job + ".status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        assertEquals(expected("ca"), sh("ca", "cat " + DIR + "/home.out") + "\n", sh("ca", "cat " + DIR + "/home.err"));
        assertEquals(expected("cb"), sh("ca", "cat " + DIR + "/away.out") + "\n", sh("ca", "cat " + DIR + "/away.err"));
        assertEquals("3", sh("ca", "cat " + DIR + "/home.status"));
        assertEquals("3", sh("ca", "cat " + DIR + "/away.status"));
    }
}
