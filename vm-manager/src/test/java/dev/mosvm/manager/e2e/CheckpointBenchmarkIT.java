package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What periodic checkpoints cost a job: the same job (dirty.pl: MIB of memory, fixed CPU work,
 * 10 % of its memory dirtied a minute) run on cb from home ca, once without checkpoints and
 * once with `mosrun -A 1`, one after the other in one run; its own run times give the overhead,
 * and the manifests at home give what each checkpoint sent against the job's memory. CI runs a
 * small smoke pass of the checkpointed run alone, with two checkpoints taken by hand 60 lines apart
 * instead of a minute's (the same checkpoints by the same code, without a minute's wait for the
 * first: later checkpoints send only dirtied pages; the run-time overhead is a figure, not a
 * check); scripts/bench-checkpoint.sh (-Dbench.full=true) runs both with -A 1, with the issue's
 * 200 MiB job for several minutes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(4) // before CheckpointIT, whose last test destroys cb
@Tag(E2eGroups.POOL_OF_TWO)
class CheckpointBenchmarkIT extends PoolTestBase {
    static final String DIR = "/pool/ca/bench";
    static final int MIB = Integer.getInteger("bench.checkpointMib", 16);
    /**
     * Steps of dirty.pl: about 17 ms each on cb under TCG, so the smoke job runs about 50 s, its
     * two checkpoints by hand taken at its 60th and 120th lines of 300 (a checkpoint beside a
     * neighbour's boot can take 20 s: the job must outlast the second).
     */
    static final int STEPS = Integer.getInteger("bench.checkpointSteps", 3000);
    static final Path REPORT = Path.of(System.getProperty("bench.report", "target/benchmarks/checkpoint.md"));
    /** Also runs the job without checkpoints, for the overhead figure. */
    static final boolean FULL = Boolean.getBoolean("bench.full");

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
        install("ca", "/usr/local/bin/bg-job", resource("bg-job"), "755");
        sh("ca", ADD_ALICE + "; mkdir -p " + DIR + " && chown alice: " + DIR); // root's jobs stay home
        install("ca", DIR + "/dirty.pl", resource("dirty.pl"), "644");
    }

    /** CPU seconds used during the last {@link #run}: cb's agent (with its criu), cb in all, ca in all. */
    double[] cpu = new double[3];

    @Test
    void periodicCheckpointsOfARunningJobSendOnlyTheDirtiedPagesAfterTheFirst() throws Exception {
        double plain = FULL ? run("plain", "", 0) : Double.NaN;
        double[] plainCpu = cpu.clone();
        String since = sh("cb", "date +%s");
        double checkpointed = FULL ? run("ck", "-A 1 -N 3 ", 0) : run("ck", "-N 3 ", HAND_CHECKPOINTS);
        // the agent's own account of each (its manifests go with the job once it exits)
        List<long[]> sent = new ArrayList<>(); // number, bytes of pages, frozen ms, sealing ms
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("checkpoint (\\d+) of job \\S+ \\((?:full|on \\d+)\\): (\\d+) KiB of pages, frozen (\\d+) ms(?:, sealed in (\\d+) ms)?")
                .matcher(sh("cb", "journalctl -u mosvm-agent --no-pager --since @" + since + " | grep 'checkpoint .* of job' || true"));
        while (m.find()) sent.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) << 10, Long.parseLong(m.group(3)), m.group(4) == null ? -1 : Long.parseLong(m.group(4))});
        double overhead = checkpointed / plain - 1;
        StringBuilder md = new StringBuilder("| job | run alone | " + (FULL ? "with -A 1" : "with " + HAND_CHECKPOINTS + " checkpoints by hand") + " | overhead | checkpoints (n: MiB sent, frozen s, sealed s) |\n|---|---|---|---|---|\n");
        md.append(FULL ? String.format("| %d MiB, 10 %%/min dirtied | %.1f s | %.1f s | %+.1f %% | ", MIB, plain, checkpointed, overhead * 100)
                : String.format("| %d MiB, 10 %%/min dirtied | not run (-Dbench.full=true) | %.1f s | - | ", MIB, checkpointed));
        for (long[] s : sent) md.append(String.format("%d: %.1f MiB, %.1f s, %.1f s; ", s[0], s[1] / 1048576.0, s[2] / 1000.0, s[3] / 1000.0));
        md.append("|\n");
        // where the time went: the node's agent (sealing) and both nodes' CPU, against the run alone
        md.append(String.format("%nCPU seconds, run alone / with -A 1: cb's agent and its criu %.1f / %.1f; cb in all %.1f / %.1f; ca (home) in all %.1f / %.1f%n",
                plainCpu[0], cpu[0], plainCpu[1], cpu[1], plainCpu[2], cpu[2]));
        double folding = 0;
        java.util.regex.Matcher f = java.util.regex.Pattern.compile("compacted in (\\d+) ms").matcher(
                sh("ca", "journalctl -u mosvm-agent --no-pager --since @" + since + " | grep 'compacted in' || true"));
        while (f.find()) folding += Long.parseLong(f.group(1)) / 1000.0;
        md.append(String.format("Home's folds took %.1f s in all.%n", folding));
        Files.createDirectories(REPORT.getParent());
        Files.writeString(REPORT, md.toString());
        System.out.println(md);
        if (FULL) {
            assertTrue(checkpointed > 60, "the job runs long enough for a periodic checkpoint (raise bench.checkpointSteps): " + md);
            assertTrue(!sent.isEmpty(), "a job that ran over a minute with -A 1 was checkpointed: " + md);
        } else {
            assertEquals(HAND_CHECKPOINTS, sent.size(), "each checkpoint taken by hand: " + md);
        }
        for (int i = 1; i < sent.size(); i++) {
            assertTrue(sent.get(i)[1] < sent.get(0)[1], "a later checkpoint sends less than the full first one: " + md);
        }
    }

    /** Checkpoints the smoke pass takes by hand, {@link #HAND_EVERY_LINES} lines of the job apart. */
    static final int HAND_CHECKPOINTS = 2;
    static final int HAND_EVERY_LINES = 60;

    /**
     * Runs the job on cb with {@code options}, taking {@code byHand} checkpoints by hand while it
     * runs; its own run time in seconds.
     */
    double run(String name, String options, int byHand) throws Exception {
        double[] before = {agentCpu("cb"), busyCpu("cb"), busyCpu("ca")};
        String args = "dirty.pl " + MIB + " " + STEPS + " 10";
        sh("ca", "su alice -c 'rm -f " + DIR + "/" + name + ".*; bg-job " + DIR + " " + name + " " + options + "-r cb perl " + args + "'");
        if (byHand > 0) {
            String id = waitForJob("ca", args, 60).get("id").asText();
            for (int k = 1; k <= byHand; k++) {
                int lines = k * HAND_EVERY_LINES; // a line every 10 steps: 60 lines, about 10 s
                waitUntil("ca", "wc -l < " + DIR + "/" + name + ".out", l -> Integer.parseInt(l) >= lines, 120);
                String said = sh("ca", "migrate " + id + " checkpoint");
                assertTrue(said.startsWith("checkpoint " + k + " of " + id), said);
            }
        }
        waitUntil("ca", "cat " + DIR + "/" + name + ".status 2>/dev/null || true", s -> !s.isEmpty(), 3600);
        assertEquals("0", sh("ca", "cat " + DIR + "/" + name + ".status"), sh("ca", "cat " + DIR + "/" + name + ".err"));
        cpu = new double[] {agentCpu("cb") - before[0], busyCpu("cb") - before[1], busyCpu("ca") - before[2]};
        String out = sh("ca", "tail -1 " + DIR + "/" + name + ".out");
        assertTrue(out.startsWith("elapsed "), out);
        return Double.parseDouble(out.substring(8));
    }

    /** CPU seconds of {@code node}'s agent service, criu included (jobs have cgroups of their own, under /sys/fs/cgroup/mosvm). */
    double agentCpu(String node) throws Exception {
        String usec = sh(node, "awk '$1 == \"usage_usec\" {print $2}' /sys/fs/cgroup/system.slice/mosvm-agent.service/cpu.stat").trim();
        return Long.parseLong(usec) / 1e6;
    }

    /** CPU seconds {@code node} has been busy since boot: all but idle and iowait, from /proc/stat. */
    double busyCpu(String node) throws Exception {
        String[] f = sh(node, "head -1 /proc/stat").trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length; i++) if (i != 4 && i != 5) busy += Long.parseLong(f[i]);
        return busy / 100.0;
    }
}
