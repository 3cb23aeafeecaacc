package dev.mosvm.manager.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.net.KeyEnvelope;
import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.Json;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.PoolView;
import dev.mosvm.builder.SafeDelete;
import dev.mosvm.manager.FloodSummary;
import dev.mosvm.manager.LocalAgents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The real agent jar, with the appliance's JVM options (its 12 MiB heap) and every listening
 * surface open (HTTPS API, peer service, gossip, job socket), flooded over loopback by
 * scripts/flood-agent.sh, the tool the end-to-end test runs inside an appliance: thousands of
 * garbage connections, slow clients, garbage datagrams, and meanwhile requests without the
 * secret. Its threads stay within the bounds, every slow client is dropped by its deadline,
 * nothing runs out of memory or fails, and afterwards it answers at once. An integration test:
 * it needs the packaged agent jar, perl and loopback ports, and all of it goes to 127.0.0.1.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentUnderFloodIntegrationTest {
    Path dir;
    Process agent;
    GuestIdentity id;
    AgentClient client;
    int https;
    int peer;
    int gossip;
    Path jobsSocket;

    @BeforeAll
    void startAgent() throws Exception {
        dir = Files.createTempDirectory("mosvm-flood-test");
        id = GuestIdentity.generate("flooded");
        Path cfg = dir.resolve("guest-config.json");
        Files.writeString(cfg, Json.MAPPER.writeValueAsString(id.guestConfig()));
        https = LocalAgents.freeTcp();
        peer = LocalAgents.freeTcp();
        gossip = LocalAgents.freeUdp();
        jobsSocket = dir.resolve("jobs.sock");
        byte[] master = Base64.getDecoder().decode(LocalAgents.randomKey());
        PoolMembership m = new PoolMembership("test-pool", "flooded", "127.0.0.1", gossip, List.of(new PoolMembership.Key(1, LocalAgents.randomKey())), 1,
                List.of(), "test", 0, 0, "flooded", Base64.getEncoder().encodeToString(master),
                Base64.getEncoder().encodeToString(KeyEnvelope.nodeKey(master, "test-pool", "flooded")), 0, List.of());
        Path pool = dir.resolve("pool.json");
        m = dev.mosvm.manager.LocalAgents.certified(m, pool, dev.mosvm.agent.identity.PoolAuthority.create("flooded"), true);
        Files.writeString(pool, Json.MAPPER.writeValueAsString(m));
        Path jar = Path.of(System.getProperty("mosvm.agentJar", "../guest-agent/target/mosvm-agent.jar"));
        assertTrue(Files.isRegularFile(jar), "agent jar missing: " + jar);
        Path jvmOptions = Path.of("../images/files/etc/mosvm/agent-jvm.options"); // the appliance's: its heap is what is at stake
        assertTrue(Files.isRegularFile(jvmOptions), "no " + jvmOptions);
        agent = new ProcessBuilder("java", "@" + jvmOptions, "-Djava.io.tmpdir=" + dir, "-jar", jar.toString(), "serve", "--config", cfg.toString(),
                "--port", String.valueOf(https), "--pool", pool.toString(), "--jobs-socket", jobsSocket.toString(),
                "--peer-port", String.valueOf(peer), "--speed-budget-ms", "30", "--poweroff-command", "true")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (!log().contains("mosvm-agent: ready")) {
            assertTrue(agent.isAlive(), () -> "agent died: " + log());
            assertTrue(System.currentTimeMillis() < deadline, () -> "agent not ready in 60 s: " + log());
            Thread.sleep(100);
        }
        client = new AgentClient("127.0.0.1", https, PinnedCertificateTrust.parsePem(id.certificatePem()), id.guestConfig().secret(),
                Duration.ofSeconds(5));
    }

    @AfterAll
    void stopAgent() throws Exception {
        if (agent != null) agent.destroyForcibly().waitFor();
        SafeDelete.deleteTree(dir);
    }

    String log() {
        try {
            return Files.readString(dir.resolve("agent.log"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    int threads() throws Exception {
        String status = Files.readString(Path.of("/proc/" + agent.pid() + "/status"));
        return status.lines().filter(l -> l.startsWith("Threads:")).mapToInt(l -> Integer.parseInt(l.substring(8).strip())).findFirst().orElseThrow();
    }

    /** The agent's threads by name (as the kernel shows them, 15 characters), and how many of each. */
    Map<String, Integer> threadNames() {
        Map<String, Integer> names = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + agent.pid() + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    names.merge(Files.readString(t.resolve("comm")).strip(), 1, Integer::sum);
                } catch (java.io.IOException ended) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            names.put(e.toString(), 0);
        }
        return names;
    }

    /** Samples the agent's threads every 20 ms while it runs: the highest count seen, the threads then, and each name's highest. */
    final class ThreadWatch implements AutoCloseable {
        final AtomicInteger most = new AtomicInteger();
        volatile Map<String, Integer> atMost = Map.of();
        final Map<String, Integer> mostByName = new java.util.concurrent.ConcurrentSkipListMap<>();
        volatile boolean stop;
        final Thread t = new Thread(() -> {
            while (!stop && agent.isAlive()) {
                try {
                    int n = threads();
                    Map<String, Integer> names = threadNames();
                    names.forEach((name, count) -> mostByName.merge(name, count, Math::max));
                    if (n > most.get()) {
                        most.set(n);
                        atMost = names;
                    }
                    Thread.sleep(20); // the sampling interval
                } catch (Exception e) {
                    return;
                }
            }
        }, "thread-watch");

        ThreadWatch() {
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            t.join();
        }
    }

    @Test
    void floodedOverLoopbackItStaysWithinItsBoundsDropsSlowClientsAndAnswersAfterwards() throws Exception {
        AgentFacts before = client.facts();
        int baseline = threads();
        Map<String, Integer> namesBefore = threadNames();
        String out;
        int unauthenticated = 0;
        try (ThreadWatch watch = new ThreadWatch()) {
            Process flood = new ProcessBuilder("bash", "../scripts/flood-agent.sh", "--connections", "3000", "--slow", "20", "--seconds", "45",
                    "--datagrams", "20000", "--api-port", String.valueOf(https), "--peer-port", String.valueOf(peer),
                    "--gossip-port", String.valueOf(gossip), "--jobs-socket", jobsSocket.toString())
                    .redirectErrorStream(true).start();
            // requests without the secret meanwhile: refused (401), or the connection closed when the API is full
            AgentClient stranger = new AgentClient("127.0.0.1", https, PinnedCertificateTrust.parsePem(id.certificatePem()), null,
                    Duration.ofSeconds(5));
            for (int i = 0; i < 200 && flood.isAlive(); i++) {
                try {
                    stranger.facts();
                } catch (AgentException e) {
                    if (e.status() == 401) unauthenticated++;
                }
            }
            out = new String(flood.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(flood.waitFor(90, TimeUnit.SECONDS), "the flood stops by itself");
            assertEquals(0, flood.exitValue(), out);
            // all of it from one address and one user. Each server's pool holds at most its gate's
            // share of threads busy (the API's threads, one address's share of peer openings, one
            // user's of the job socket's), plus as many again that its gate has freed but that are
            // not yet back in the pool when the next connection is handed over. The job socket's
            // pool has been seen at twice its share plus one under this flood (its waiting room also
            // hands connections to it), so it gets three shares: still far below what a server with
            // a thread per connection would start here (hundreds). And a few more overall: the
            // deadline timer, a process reaper (a user's id looked up)
            watch.close();
            Map<String, Integer> pools = Map.of("agent-http", ServingLimits.API_THREADS, "peer-serve", 2 * ServingLimits.PEER_OPENINGS_PER_ADDRESS,
                    "job-caller", 3 * ServingLimits.JOB_OPENINGS_PER_USER);
            String seen = "at the most: " + watch.atMost + "; each name's most: " + watch.mostByName + "; before: " + namesBefore;
            pools.forEach((name, most) -> assertTrue(watch.mostByName.getOrDefault(name, 0) <= most,
                    name + " threads: at most " + watch.mostByName.get(name) + " while flooded; bound " + most + "; " + seen));
            int bound = baseline + pools.values().stream().mapToInt(Integer::intValue).sum() + 8;
            assertTrue(watch.most.get() <= bound, "threads: at most " + watch.most.get() + " while flooded, " + baseline + " before; bound "
                    + bound + "; " + seen);
            System.out.println(out.strip() + "; threads " + baseline + " before, at most " + watch.most.get() + " during: " + watch.atMost);
        }
        Map<String, Integer> s = FloodSummary.parse(out);
        assertEquals(3000, s.get("connections"), out);
        assertEquals(20000, s.get("datagrams"), out);
        assertEquals(60, s.get("slow"), out);
        assertEquals(0, s.get("slow_still_open"), "every slow client dropped: " + out);
        assertTrue(s.get("slow_dropped_max_s") <= ServingLimits.OPENING_MILLIS / 1000 + 5, "by the opening deadline: " + out);
        assertTrue(unauthenticated > 0, "requests without the secret were answered 401");

        assertTrue(agent.isAlive(), "the agent lives");
        AgentFacts after = awaitFacts();
        long t0 = System.nanoTime();
        for (int i = 0; i < 3; i++) client.facts();
        long eachMillis = (System.nanoTime() - t0) / 3_000_000;
        assertTrue(eachMillis < 2_000, "facts at once after the flood: " + eachMillis + " ms each");
        assertTrue(after.serving().refusedConnections() > before.serving().refusedConnections(), "refusals counted: " + after.serving());
        assertEquals(0, after.serving().restartedTasks(), "no task failed: " + log());
        PoolView view = client.nodes();
        assertEquals(NodeState.ALIVE, view.nodes().get(0).state(), view.toString());
        assertTrue(view.dropped().values().stream().mapToLong(Long::longValue).sum() > 0, "garbage datagrams counted as dropped: " + view.dropped());

        String log = log();
        assertTrue(!log.contains("OutOfMemoryError"), "no memory ran out: " + log);
        long refusalLines = log.lines().filter(l -> l.contains("refused")).count();
        assertTrue(refusalLines < 60, "refusals logged at most once an interval per kind, not each: " + refusalLines + " lines");
    }

    AgentFacts awaitFacts() throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            try {
                return client.facts();
            } catch (AgentException e) {
                if (System.currentTimeMillis() > deadline) throw new AssertionError("no facts within 20 s of the flood: " + e.getMessage(), e);
                Thread.sleep(200);
            }
        }
    }
}
