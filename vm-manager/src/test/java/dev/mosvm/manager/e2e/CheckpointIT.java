package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.builder.SafeDelete;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Checkpoints on the run's pool of two (ca home, cb): a job running on cb checkpointed by
 * hand, stored at its home; once it is killed, `mosrun -R` brings it back at home from that
 * checkpoint and it finishes with exactly the rest of an unbroken run's output and its status;
 * periodic checkpoints (`-A 1`) are incremental; restarts from a missing, damaged or altered
 * checkpoint, another user's, or one of a job that still runs are refused with one line and
 * harm nothing; and when cb dies with a checkpointed job on it and another on its way to it,
 * the first is recovered at home and the second runs on at its source.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(7) // last on the pool of two: its last test destroys cb, so no class has to boot it again
@Tag(E2eGroups.POOL_OF_TWO)
class CheckpointIT extends PoolTestBase {
    static final String DIR = "/pool/ca/alice";
    Path scratch;

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        scratch = Files.createTempDirectory("mosvm-e2e-checkpoint-ref");
        cli = pool.running().cli();
        for (String vm : List.of("ca", "cb")) {
            sh(vm, ADD_ALICE + "; id bob >/dev/null 2>&1 || useradd -m -u 1501 bob");
            install(vm, "/usr/local/bin/bg-job", resource("bg-job"), "755");
        }
        sh("ca", "mkdir -p " + DIR + " && chown alice: " + DIR);
        installAll("ca", java.util.Map.of(DIR + "/count.pl", resource("count.pl"), DIR + "/hog.pl", resource("hog.pl")), "644");
    }

    @AfterAll
    void cleanUp() throws Exception {
        SafeDelete.deleteTree(scratch);
    }

    @Test
    @Order(1)
    void aJobCheckpointedByHandThenKilledRestartsFromItsCheckpointAndFinishesAsAnUnbrokenRun() throws Exception {
        String reference = onHost("count.pl", "40", "2000000");
        assertTrue(criuWorks("cb"));
        sh("ca", "rm -f " + DIR + "/ck.*; su alice -c 'bg-job " + DIR + " ck -r cb perl count.pl 40 2000000'");
        String id = waitForJob("ca", "count.pl 40", 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/ck.out", s -> Integer.parseInt(s) >= 3, 120);

        String said = sh("ca", "su alice -c 'migrate " + id + " checkpoint'");
        assertTrue(said.startsWith("checkpoint 1 of " + id + ":"), said);
        assertTrue(said.contains("/pool/ca/.mosvm-checkpoints/" + id + "/1"), said);
        JsonNode ck = job("ca", id).get("checkpoint");
        assertEquals(1, ck.get("number").asInt(), "mosps shows the latest checkpoint: " + ck);
        assertTrue(ck.get("chainBytes").asLong() > 0 && ck.get("frozenMillis").asLong() > 0, ck.toString());
        assertEquals("700", sh("ca", "stat -c %a /pool/ca/.mosvm-checkpoints/" + id + "/1"), "only the agents read a job's memory");

        // a job that still runs is not restarted: that would run it twice
        MosvmCli.Result twice = cli.run("ssh", "-i", "ca", "--", "bash", "-c", "su alice -c 'mosrun -R " + id + "'").exitIs(126);
        assertTrue(twice.err().contains("still runs on cb"), twice.err());

        int before = Integer.parseInt(sh("ca", "wc -l < " + DIR + "/ck.out"));
        waitUntil("ca", "wc -l < " + DIR + "/ck.out", s -> Integer.parseInt(s) >= before + 2, 120); // it ran on past the checkpoint
        sh("cb", "kill -KILL $(cat /sys/fs/cgroup/mosvm/job-" + id + "/cgroup.procs)");
        waitUntil("ca", "cat " + DIR + "/ck.status 2>/dev/null || true", s -> !s.isEmpty(), 60);
        String first = sh("ca", "cat " + DIR + "/ck.out") + "\n";

        sh("ca", "su alice -c 'bg-job " + DIR + " ck2 -R " + id + "'");
        waitUntil("ca", "cat " + DIR + "/ck2.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        String rest = sh("ca", "cat " + DIR + "/ck2.out; echo status $(cat " + DIR + "/ck2.status)") + "\n";
        assertEquals("", sh("ca", "cat " + DIR + "/ck2.err"), "nothing on stderr");
        // the restart prints what the job printed after its checkpoint: the unbroken run's
        // output is what the first run printed up to the checkpoint, then the restart's
        assertTrue(reference.endsWith(rest) && rest.length() < reference.length(), "a tail of the unbroken run: " + rest);
        String upToCheckpoint = reference.substring(0, reference.length() - rest.length());
        assertTrue(first.startsWith(upToCheckpoint), "the first run printed up to the checkpoint, then more: " + first);
        assertTrue(first.length() > upToCheckpoint.length(), "the first run went on past its checkpoint");
        System.out.println("restart from checkpoint 1 of " + id + ": " + upToCheckpoint.lines().count() + " lines before it, "
                + (rest.lines().count() - 1) + " after; " + said);
    }

    @Test
    @Order(2)
    void restartsFromMissingDamagedAlteredOrAnotherUsersCheckpointsAreRefusedAndHarmNothing() throws Exception {
        sh("ca", "rm -f " + DIR + "/bad.*; su alice -c 'bg-job " + DIR + " bad -L perl count.pl 200 2000000'");
        String id = waitForJob("ca", "count.pl 200", 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/bad.out", s -> Integer.parseInt(s) >= 2, 120);
        sh("ca", "su alice -c 'migrate " + id + " checkpoint'");
        sh("ca", "su alice -c 'migrate " + id + " checkpoint'");
        String root = "/pool/ca/.mosvm-checkpoints/" + id;
        sh("ca", "kill -KILL $(cat /sys/fs/cgroup/mosvm/job-" + id + "/cgroup.procs)");
        waitUntil("ca", "cat " + DIR + "/bad.status 2>/dev/null || true", s -> !s.isEmpty(), 60);

        assertRefused("nosuch.1", "no checkpoint");
        MosvmCli.Result fromHost = cli.run("run", "-i", "ca", "-R", id + "/9"); // the host's `mosvm run -R` is mosrun's
        assertEquals(126, fromHost.exit(), fromHost.out() + fromHost.err());
        assertEquals(1, fromHost.err().strip().lines().count(), "one line: " + fromHost.err());
        assertTrue(fromHost.err().contains("no checkpoint " + id + "/9"), fromHost.err());
        assertRefused(id + "/9", "no checkpoint " + id + "/9");
        assertRefused("/tmp", "is not a checkpoint");
        assertRefusedAs("bob", id, "belongs to user 1500");
        // a byte changed in the latest: refused; its intact parent still restores (below, by number)
        String pages = sh("ca", "ls " + root + "/2 | grep '^pages-' | head -1");
        sh("ca", "printf x | dd of=" + root + "/2/" + pages + " bs=1 seek=10 conv=notrunc status=none");
        assertRefused(id, "was altered");
        sh("ca", "cp -a " + root + "/1 " + root + "/7 && rm " + root + "/7/manifest.json");
        assertRefused(id + "/7", "is incomplete");
        String inventory = "inventory.img";
        sh("ca", "truncate -s -1 " + root + "/1/" + inventory);
        assertRefused(id + "/1", "is damaged");
        assertEquals("active", sh("ca", "systemctl is-active mosvm-agent"), "the agent lives on");
    }

    @Test
    @Order(3)
    void periodicCheckpointsAreIncrementalAndOnlyTheLastFewAreKept() throws Exception {
        // -A 1 takes the first a minute in; two more by hand (the same store, the same -N) make a chain
        // longer than -N 2 keeps, so the oldest is folded into the next, without waiting minutes for them
        sh("ca", "rm -f " + DIR + "/per.*; su alice -c 'bg-job " + DIR + " per -A 1 -N 2 -r cb perl count.pl 1000 2000000'");
        String id = waitForJob("ca", "count.pl 1000", 60).get("id").asText();
        String root = "/pool/ca/.mosvm-checkpoints/" + id;
        // mosps shows a checkpoint once it is sealed and measured (its manifest comes a moment before)
        JsonNode first = Await.until("the first periodic checkpoint in mosps", Duration.ofSeconds(200), Duration.ofSeconds(5),
                () -> job("ca", id), j -> j.hasNonNull("checkpoint") && j.get("checkpoint").get("number").asInt() >= 1);
        // the job's start as its home recorded it, the checkpoint's time as its node did (both VMs keep the host's time)
        long firstAfter = java.time.Duration.between(java.time.Instant.parse(first.get("started").asText()),
                java.time.Instant.parse(first.get("checkpoint").get("at").asText())).toSeconds();
        assertTrue(firstAfter >= 55, "the first periodic checkpoint comes a minute in, not at once: after " + firstAfter + " s");
        assertEquals(1, first.get("checkpointEveryMinutes").asInt());
        long full = pagesBytes(root + "/1");
        sh("ca", "su alice -c 'migrate " + id + " checkpoint'");
        JsonNode second = job("ca", id).get("checkpoint");
        assertEquals(2, second.get("number").asInt(), "the next number: " + second);
        assertEquals(1, second.get("parent").asInt(), "incremental on its predecessor: " + second);
        long later = pagesBytes(root + "/2");
        assertTrue(later < full, "a later checkpoint sends only the pages dirtied since: " + later + " bytes against " + full);
        sh("ca", "su alice -c 'migrate " + id + " checkpoint'");
        // the third makes three: -N 2 drops the first, folding it into the second, which then stands alone
        // (a periodic one may have come meanwhile: then the last two of four)
        waitUntil("ca", "ls " + root + " | grep -c '^[0-9]' || true", s -> s.strip().equals("2"), 120);
        List<String> kept = List.of(sh("ca", "ls " + root + " | grep '^[0-9]' | sort -n | tr '\\n' ' '").strip().split(" "));
        JsonNode ck = job("ca", id).get("checkpoint");
        assertEquals(String.valueOf(ck.get("number").asInt()), kept.get(1), "the latest is kept: " + kept + ", " + ck);
        assertTrue(ck.get("number").asInt() >= 3 && Integer.parseInt(kept.get(0)) == ck.get("number").asInt() - 1, "the last two: " + kept);
        assertEquals("0", sh("ca", "grep -o '\"parent\" *: *[0-9]*' " + root + "/" + kept.get(0) + "/manifest.json | grep -o '[0-9]*$'"),
                "the oldest kept is full once its parent is folded into it");
        sh("ca", "su alice -c 'pkill -TERM -f \"^mosrun -A 1 -N 2 -r cb perl count.pl 1000\"' || true");
        waitUntil("ca", "cat " + DIR + "/per.status 2>/dev/null || true", s -> !s.isEmpty(), 60);
        System.out.println("periodic checkpoints of " + id + ": the first after " + firstAfter + " s (" + full + " bytes of pages), the next " + later
                + " bytes; kept " + kept + ", latest " + ck);
    }

    /**
     * A node dies with a checkpointed job running on it and another job on its way to it: the
     * one arriving runs on at its source (its caller told so), the checkpointed one is recovered
     * at its home, and its caller sees exactly an unbroken run. One destroyed node for both, as a
     * workstation switched off mid-work would be.
     */
    @Test
    @Order(4) // last on the pool of two: it destroys cb
    void aNodeDestroyedMidMoveLosesNeitherTheArrivingJobNorTheCheckpointedOneOnIt() throws Exception {
        // 24 MiB held: its full checkpoint is pre-dumped while it runs, and the recovery restores that
        String reference = onHost("count.pl", "60", "1000000", "24");
        // the job that will be on its way to cb, at home until then: 200 MB, a line every 0.5 s for 2 min (the test stops it)
        sh("ca", "cd " + DIR + " && rm -f rec.* hog.out hog.err hog.status; su alice -c 'bg-job " + DIR + " hog perl hog.pl 200 240'");
        // three lines, or its end and what it said
        waitUntil("ca", "cat " + DIR + "/hog.status " + DIR + "/hog.err 2>/dev/null; cat " + DIR + "/hog.out 2>/dev/null | wc -l",
                s -> s.lines().count() > 1 || Integer.parseInt(s.strip()) >= 3, 120);
        assertEquals("", sh("ca", "cat " + DIR + "/hog.status 2>/dev/null || true"), "the job to move runs: " + sh("ca", "cat " + DIR + "/hog.err"));
        String hog = waitForJob("ca", "hog.pl", 10).get("id").asText();
        sh("ca", "su alice -c 'bg-job " + DIR + " rec -r cb perl count.pl 60 1000000 24'");
        String id = waitForJob("ca", "count.pl 60", 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/rec.out", s -> Integer.parseInt(s) >= 3, 120);
        sh("ca", "su alice -c 'migrate " + id + " checkpoint'");
        String taken = sh("cb", "journalctl -u mosvm-agent --no-pager | grep -F 'of job " + id + " (full)' || true");
        assertTrue(taken.contains("pre-dumped while it ran"), "the full checkpoint of a 24 MiB job is pre-dumped: " + taken);
        int then = Integer.parseInt(sh("ca", "wc -l < " + DIR + "/rec.out"));
        waitUntil("ca", "wc -l < " + DIR + "/rec.out", s -> Integer.parseInt(s) >= then + 2, 120); // output after the checkpoint reached the caller

        // the 200 MB job's move takes a while under emulation: cb dies once its images are arriving there
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cli.shellLine("migrate", "-i", "ca", hog, "cb") + " 2>&1");
        pb.environment().putAll(cli.env);
        Process migrate = pb.start();
        waitUntil("cb", "ls /run/mosvm/images 2>/dev/null | grep -c in- || true", s -> !s.equals("0"), 120);
        assertEquals("", sh("ca", "cat " + DIR + "/rec.status 2>/dev/null || true"), "the checkpointed job still runs on cb as cb dies");
        long t0 = System.nanoTime();
        MosvmCli.virsh("destroy", MosvmCli.domain("cb"));

        if (!migrate.waitFor(5, TimeUnit.MINUTES)) {
            migrate.destroyForcibly();
            // what the source was waiting for: its agent's log and the migration's processes
            fail("migrate did not give up within 5 min of its target's death; ca's agent:\n"
                    + sh("ca", "journalctl -u mosvm-agent --no-pager | tail -40") + "\nprocesses:\n"
                    + sh("ca", "ps -eo pid,stat,wchan:24,etimes,args | grep -E '[c]riu|[m]igrate' || true"));
        }
        String said = new String(migrate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, migrate.exitValue(), said);
        assertTrue(said.contains("runs on ca"), said);
        JsonNode h = job("ca", hog);
        assertEquals("ca", h.get("where").asText(), h.toString());
        assertEquals("RUNNING", h.get("state").asText(), h.toString());
        int lines = Integer.parseInt(sh("ca", "wc -l < " + DIR + "/hog.out"));
        waitUntil("ca", "wc -l < " + DIR + "/hog.out", s -> Integer.parseInt(s) >= lines + 3, 60);
        sh("ca", "pkill -TERM -f '^mosrun perl hog.pl'");
        waitUntil("ca", "cat " + DIR + "/hog.status 2>/dev/null || true", s -> !s.isEmpty(), 60);
        assertEquals("143", sh("ca", "cat " + DIR + "/hog.status"), "exactly one copy, stopped by SIGTERM");

        // this job's recovery: another test's job may have been recovered here before
        waitUntil("ca", "grep -c 'job " + id + " recovered here from checkpoint' <(journalctl -u mosvm-agent --no-pager) || true",
                s -> !s.isEmpty() && !s.equals("0"), 180);
        long recoveredAfter = (System.nanoTime() - t0) / 1_000_000_000;
        JsonNode j = job("ca", id);
        assertEquals("ca", j.get("where").asText(), "running again at its home: " + j);
        waitUntil("ca", "cat " + DIR + "/rec.status 2>/dev/null || true", s -> !s.isEmpty(), 600);
        String got = sh("ca", "cat " + DIR + "/rec.out; echo status $(cat " + DIR + "/rec.status)") + "\n";
        assertEquals(reference, got, "byte for byte what an unbroken run prints, and its status: no line twice, none missing");
        assertEquals("", sh("ca", "cat " + DIR + "/rec.err"), "nothing on stderr");
        System.out.println("job " + id + " recovered at home " + recoveredAfter + " s after its node was destroyed; " + hog + "'s move: " + said.strip());
    }

    long pagesBytes(String checkpoint) throws Exception {
        String m = sh("ca", "grep -o '\"pagesBytes\" *: *[0-9]*' " + checkpoint + "/manifest.json | grep -o '[0-9]*$'");
        return Long.parseLong(m);
    }

    void assertRefused(String reference, String says) throws Exception {
        assertRefusedAs("alice", reference, says);
    }

    void assertRefusedAs(String user, String reference, String says) throws Exception {
        MosvmCli.Result r = cli.run("ssh", "-i", "ca", "--", "bash", "-c", "su " + user + " -c 'cd /tmp && mosrun -R " + reference + "'");
        assertEquals(126, r.exit(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(says), r.err());
    }

    /** The unbroken run, on the host: output then "status N". */
    String onHost(String... cmd) throws Exception {
        Files.write(scratch.resolve("count.pl"), resource("count.pl"));
        List<String> argv = new java.util.ArrayList<>(List.of("perl"));
        argv.addAll(List.of(cmd));
        Process p = new ProcessBuilder(argv).directory(scratch.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out + "status " + p.waitFor() + "\n";
    }
}
