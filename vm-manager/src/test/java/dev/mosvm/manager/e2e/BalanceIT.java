package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.builder.SafeDelete;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Automatic balancing on three real appliances with unequal CPU caps (libvirt cputune quota,
 * `mosvm up --cpu-cap`): ba 100 %, bb 60 %, bc 40 %. Eight CPU-bound jobs (twelve with
 * -Dbalance.full=true) started on the slowest node spread over the pool by themselves and give the right output (with
 * -Dbalance.full=true they also finish sooner than the same jobs with balancing off, measured
 * in the same run: a benchmark's figure). Jobs whose memory grows
 * until they overcommit one node twice are ushered away before the kernel kills anything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BalanceIT extends PoolTestBase {
    static final List<String> NODES = List.of("ba", "bb", "bc");
    static final double[] CAPS = {1.0, 0.6, 0.4};
    /**
     * Also runs the batch with balancing off and checks balancing beats it: a speed figure, so a
     * benchmark's (-Dbalance.full=true, docs/benchmarks.md), not the test suite's, whose batches
     * check that the jobs spread, move and come out right.
     */
    static final boolean FULL = Boolean.getBoolean("balance.full");
    /** Jobs per batch: six in the test suite (twice what the three nodes run at once), twelve for the figures. */
    static final int JOBS = Integer.getInteger("balance.jobs", FULL ? 12 : 6);
    /**
     * Each job's work on the uncapped node, in ms: 4 s in the test suite, where the off, on and placed
     * batches cost most of this class's time; -Dbalance.jobMillis=7000 sizes them as the figures in
     * docs/benchmarks.md before 2026-12-05 were (a move's fixed cost weighs less in longer jobs).
     */
    static final long JOB_MILLIS = Long.getLong("balance.jobMillis", 4000);
    Path home;
    Path scratch;

    @BeforeAll
    void upThreeCappedNodes() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-balance");
        scratch = Files.createTempDirectory("mosvm-e2e-balance-ref");
        cli = new MosvmCli(home);
        // one machine's libvirt network: what --page-streams plain is for, and moves take a fraction of the time
        upPool("bal", "plain", vms("ba", List.of("--memory", "1024M", "--cpu-cap", "100"), "bb", List.of("--memory", "768M", "--cpu-cap", "60"),
                "bc", List.of("--memory", "768M", "--cpu-cap", "40")));
        for (String vm : NODES) {
            // alice's batches: root's jobs stay home, and these are to move
            sh(vm, ADD_ALICE + "; mkdir -p /pool/" + vm + "/w && chown alice: /pool/" + vm + "/w");
            Map<String, byte[]> files = new LinkedHashMap<>();
            for (String f : List.of("spin.pl", "grow.pl", "batch.sh")) files.put("/pool/" + vm + "/w/" + f, resource(f));
            installAll(vm, files, "755");
        }
    }

    @AfterAll
    void destroy() throws Exception {
        for (String vm : NODES) cli.run("destroy", vm);
        SafeDelete.deleteTree(home);
        SafeDelete.deleteTree(scratch);
    }

    @Test
    @Order(1)
    void capsReachTheDomainsAndTheGossipedSpeeds() throws Exception {
        String sched = MosvmCli.virsh("schedinfo", MosvmCli.domain("bc"));
        assertTrue(sched.matches("(?s).*vcpu_quota\\s*:\\s*40000\\b.*"), sched);
        // a reading taken while the neighbours boot is low (they share the host's CPUs); an idle
        // node reads again every 20 s, so the figures must come right within a few minutes
        java.util.function.Predicate<JsonNode> capShows = v -> speed(v, "bc") < speed(v, "ba") * 0.6;
        long t0 = System.nanoTime();
        JsonNode first = cli.nodes("ba").get("nodes");
        JsonNode nodes = Await.until("a node capped at 40 % gossips itself slower than an uncapped one (the nodes ba sees)",
                Duration.ofMinutes(5), Duration.ofSeconds(10), () -> cli.nodes("ba").get("nodes"), capShows);
        System.out.printf(Locale.ROOT, "balance e2e: speeds ba/bb/bc first %.3f/%.3f/%.3f, after %.0f s %.3f/%.3f/%.3f%n", speed(first, "ba"),
                speed(first, "bb"), speed(first, "bc"), (System.nanoTime() - t0) / 1e9, speed(nodes, "ba"), speed(nodes, "bb"), speed(nodes, "bc"));
    }

    @Test
    @Order(2)
    void jobsStartedOnTheSlowestNodeSpreadOverThePoolAndComeOutRight() throws Exception {
        assertTrue(criuWorks("bc"));
        // work per job: JOB_MILLIS on the uncapped node, measured here (machines differ). The first
        // jobs through a fresh agent run its cold (interpreted) start path: warm it, then scale twice.
        long n = 1_000_000;
        timeOnBa(10_000);
        for (int round = 0; round < 2; round++) n = Math.max(100_000, Math.round(n * JOB_MILLIS / timeOnBa(n)));
        double w = timeOnBa(n) / 1000;
        String expected = onHost("perl", "spin.pl", String.valueOf(n));

        double off = Double.NaN;
        if (FULL) {
            cli.run("balance", "-i", "bc", "off").ok();
            off = batch("off", n, expected, null, "-h");
            cli.run("balance", "-i", "bc", "on").ok();
        }
        Set<String> busy = new HashSet<>();
        double on = batch("on", n, expected, busy, "-h");
        // the same jobs without -h: each starts on the best node (placement), then balancing goes on
        Set<String> placedOn = new HashSet<>();
        double placed = batch("placed", n, expected, placedOn, "");
        // where bc's agent started each of them (the agent logs every placement)
        String starts = sh("bc", "journalctl -u mosvm-agent --no-pager | grep -o 'placed on [a-z0-9-]*:' | sort | uniq -c | tr -s ' \\n' ' '");

        List<String> moves = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        JsonNode view = cli.nodes("ba");
        for (JsonNode m : view.get("moves")) {
            String move = String.format(Locale.ROOT, "%s %s -> %s (%.1f s, frozen %.1f s)", m.get("job").asText(), m.get("from").asText(),
                    m.get("to").asText(), m.get("totalMillis").asLong() / 1000.0, m.get("freezeMillis").asLong() / 1000.0);
            if (m.hasNonNull("error")) failed.add(move + ": " + m.get("error").asText());
            else if ("balanced".equals(m.get("reason").asText())) {
                moves.add(move);
                busy.add(m.get("to").asText()); // a move without error ended with the job resumed there
            }
        }
        StringBuilder speeds = new StringBuilder();
        for (String vm : NODES) speeds.append(vm).append('=').append(speed(view.get("nodes"), vm)).append(' ');
        double lowerBound = Math.max(JOBS * w / (CAPS[0] + CAPS[1] + CAPS[2]), w);
        String offSaid = FULL ? String.format(Locale.ROOT, "off %.1f s, on %.1f s (%.2f of off)", off, on, on / off)
                : String.format(Locale.ROOT, "off not run (-Dbalance.full=true), on %.1f s", on);
        System.out.printf(Locale.ROOT, "balance e2e: %d jobs of %.1f s (uncapped): %s, lower bound %.1f s, "
                + "on / bound %.2f; nodes busy %s; balanced moves %d: %s; failed moves %s; speeds %s; placed at start: %.1f s, "
                + "placed / bound %.2f, nodes busy %s, starts: %s%n", JOBS, w, offSaid, lowerBound, on / lowerBound, busy, moves.size(), moves,
                failed, speeds, placed, placed / lowerBound, placedOn, starts);
        String streams = sh("bc", "journalctl -u mosvm-agent --no-pager | grep -o 'pageStream=[a-z]*' | sort | uniq -c | tr -s ' \\n' ' '");
        System.out.println("balance e2e: page streams of bc's moves: " + streams);
        assertTrue(streams.contains("pageStream=plain") && !streams.contains("pageStream=sealed"),
                "a pool founded with --page-streams plain moves jobs unsealed: " + streams);
        assertTrue(busy.size() >= 2, "the jobs spread beyond bc: busy nodes seen " + busy + "; failed moves " + failed + "; speeds " + speeds);
        assertTrue(!moves.isEmpty(), "the balancer moved jobs started on bc");
        if (FULL) assertTrue(on < off, "balancing on (" + on + " s) finishes before balancing off (" + off + " s)");
        assertTrue(placedOn.size() >= 2, "jobs placed at start ran beyond bc: busy nodes seen " + placedOn);
    }

    @Test
    @Order(3)
    void aNodeShortOfMemoryPushesGuestsAwayBeforeAnythingIsKilled() throws Exception {
        // four guests on bb, each growing to 200 MiB at 1.3 MiB/s (twice what bb holds above its ushering threshold), from ba and bc
        String expected = onHost("perl", "grow.pl", "200", "0", "0");
        for (String from : List.of("ba", "bc")) {
            sh(from, "setsid nohup su alice -c 'sh /pool/" + from + "/w/batch.sh /pool/" + from + "/w mem 2 -r bb -l perl grow.pl 200 0.75 20'"
                    + " >/dev/null 2>&1 </dev/null &");
        }
        for (String from : List.of("ba", "bc")) waitUntil("ba", "cat /pool/" + from + "/w/mem.end 2>/dev/null || true", s -> !s.isEmpty(), 900);
        for (String from : List.of("ba", "bc")) assertAllRight(batchResults("ba", "/pool/" + from + "/w", "mem", 2), expected, "mem from " + from);
        for (String vm : NODES) {
            assertEquals("0", sh(vm, "dmesg | grep -ciE 'out of memory|oom-kill|killed process' || true"), "no OOM kill on " + vm);
        }
        int ushered = 0;
        for (JsonNode m : cli.nodes("ba").get("moves")) {
            if (!m.hasNonNull("error") && "ushered".equals(m.get("reason").asText()) && "bb".equals(m.get("from").asText())) ushered++;
        }
        System.out.println("balance e2e: " + ushered + " guest job(s) ushered from bb");
        assertTrue(ushered >= 1, "guests were ushered off bb");
    }

    // --- helpers ---

    /** Runs the batch's jobs on bc with `mosrun OPTIONS` and returns the makespan; checks every job's output. */
    double batch(String tag, long n, String expected, Set<String> busy, String options) throws Exception {
        String dir = "/pool/bc/w";
        sh("bc", "setsid nohup su alice -c 'sh " + dir + "/batch.sh " + dir + " " + tag + " " + JOBS + " " + options + " perl spin.pl " + n
                + "' >/dev/null 2>&1 </dev/null &");
        // bc is saturated while its batch runs: its files are read through ba, which mounts bc's /pool share.
        // Polled every 10 s, one host command at a time: each costs the host CPU the capped VMs share. The
        // end file is read once the pool shows no jobs, and every sixth poll in case a view lags.
        record Progress(int jobsInThePool, boolean ended) {}
        int[] polls = {0};
        Await.until("batch " + tag + " finished", Duration.ofMinutes(30), Duration.ofSeconds(10), () -> {
            int jobs = 0;
            for (JsonNode node : cli.nodes("ba").get("nodes")) {
                int here = node.get("info").get("jobs").asInt();
                jobs += here;
                if (busy != null && here > 0) busy.add(node.get("info").get("id").asText());
            }
            int poll = polls[0]++;
            boolean ended = (jobs == 0 || poll % 6 == 5) && !sh("ba", "cat " + dir + "/" + tag + ".end 2>/dev/null || true").isEmpty();
            return new Progress(jobs, ended);
        }, Progress::ended);
        assertAllRight(batchResults("ba", dir, tag, JOBS), expected, tag);
        String[] t = sh("ba", "cat " + dir + "/" + tag + ".start " + dir + "/" + tag + ".end").split("\\s+");
        return Double.parseDouble(t[1]) - Double.parseDouble(t[0]);
    }

    static void assertAllRight(List<JobResult> results, String expected, String batch) {
        for (int i = 0; i < results.size(); i++) {
            JobResult r = results.get(i);
            assertEquals("0", r.status(), batch + " job " + (i + 1) + ": " + r.err());
            assertEquals(expected, r.out(), batch + " job " + (i + 1));
        }
    }

    /** Milliseconds one spin job of {@code n} steps takes on the uncapped node, alone. */
    double timeOnBa(long n) throws Exception {
        String ms = sh("ba", "cd /pool/ba/w && s=$(date +%s%N) && mosrun -L perl spin.pl " + n + " >/dev/null && e=$(date +%s%N) && echo $(( (e - s) / 1000000 ))");
        return Double.parseDouble(ms);
    }

    static double speed(JsonNode nodes, String id) {
        for (JsonNode n : nodes) if (n.get("info").get("id").asText().equals(id)) return n.get("info").get("speed").asDouble();
        throw new AssertionError("no node " + id + " in " + nodes);
    }

    /** The program's output on the host (the reference), without a status line. */
    String onHost(String... cmd) throws Exception {
        Files.write(scratch.resolve(cmd[1]), resource(cmd[1]));
        Process p = new ProcessBuilder(cmd).directory(scratch.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
