package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a guest job may take of the node that runs it (docs/sandbox.md), on the run's pool of
 * two: a job of ca's on cb has cb's guest limits in its cgroup, and loses them when it comes
 * home; a fork bomb there stops at its own process limit while cb goes on serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(2) // on the pool of two, whole
@Tag(E2eGroups.POOL_OF_TWO)
class SandboxIT extends PoolTestBase {
    /** What the appliance keeps for itself before guests (the balancer's ushering threshold, 128 MiB). */
    static final long RESERVE_KB = 128 * 1024;
    static final int GUEST_PIDS_MAX = 1024;
    static final String FORKS = "/pool/ca/w/forks.pl";

    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        cli = pool.running().cli();
        sh("ca", "mkdir -p /pool/ca/w");
        // forks WANT children that each sleep NAP seconds, stops at the first refused fork, says how far it got
        install("ca", FORKS, """
                my ($want, $nap) = @ARGV; my $made = 0; my $why = "";
                for (1 .. $want) { my $p = fork(); if (!defined $p) { $why = "$!"; last } if ($p == 0) { sleep $nap; exit 0 } $made++ }
                print "made $made of $want" . ($why ? ": $why" : "") . "\\n"; 1 while wait() > 0;
                """.getBytes(StandardCharsets.UTF_8), "644");
    }

    @AfterEach
    void noJobsLeft() throws Exception {
        sh("ca", "pkill -f 'sleep 6[0-9][0-9]' || true");
    }

    @Test
    void aGuestHasTheNodesLimitsAndLosesThemAtHome() throws Exception {
        sh("ca", "cd /pool/ca && (setsid nohup mosrun -r cb sleep 601 >/dev/null 2>&1 </dev/null &)");
        String id = waitForJob("ca", "sleep 601", 120).get("id").asText();
        assertEquals("cb", job("ca", id).get("where").asText(), "mosrun -r cb runs it there");
        long memTotalKb = Long.parseLong(sh("cb", "awk '/^MemTotal:/ {print $2}' /proc/meminfo"));
        long expected = Math.max(memTotalKb - RESERVE_KB, memTotalKb / 4) * 1024;
        String cgroup = "/sys/fs/cgroup/mosvm/job-" + id;
        assertEquals(expected + " " + GUEST_PIDS_MAX + " 5 1", limits("cb", cgroup),
                "memory.max, pids.max, cpu.weight and memory.oom.group of guest " + id + " on cb (MemTotal " + memTotalKb + " kB)");

        cli.run("migrate", "-i", "ca", id, "home").ok();
        waitUntil("ca", "test -e " + cgroup + "/cgroup.procs && grep -q . " + cgroup + "/cgroup.procs && echo yes || true", "yes"::equals, 120);
        assertEquals("max max 100 0", limits("ca", cgroup), "job " + id + " at home has no guest limits");
    }

    @Test
    void aGuestsForkBombStopsAtItsLimitAndTheNodeServesOn() throws Exception {
        int want = GUEST_PIDS_MAX + 100;
        Matcher guest = made(sh("ca", "cd /pool/ca && mosrun -r cb perl " + FORKS + " " + want + " 30"));
        int madeThere = Integer.parseInt(guest.group(1));
        assertTrue(madeThere < GUEST_PIDS_MAX && madeThere > GUEST_PIDS_MAX - 16,
                "a guest on cb makes its limit's worth of processes less its own few, then is refused: " + guest.group());
        assertTrue(guest.group().contains("Resource temporarily unavailable"), "refused with EAGAIN: " + guest.group());
        assertEquals("ok", sh("cb", "sh -c 'sleep 1 & wait; echo ok'"), "cb starts processes of its own meanwhile");
        cli.nodes("cb");

        Matcher home = made(sh("ca", "cd /pool/ca && mosrun -h perl " + FORKS + " " + want + " 30"));
        System.out.println("sandbox e2e: a guest on cb " + guest.group() + "; the same job at home " + home.group());
        assertEquals(String.valueOf(want), home.group(1), "the same job at home has no such limit: " + home.group());
    }

    private String limits(String vm, String cgroup) throws Exception {
        return sh(vm, "cd " + cgroup + " && echo $(cat memory.max) $(cat pids.max) $(cat cpu.weight) $(cat memory.oom.group)");
    }

    private static Matcher made(String out) {
        Matcher m = Pattern.compile("made (\\d+) of \\d+.*").matcher(out);
        assertTrue(m.find(), "the fork job's report: " + out);
        return m;
    }
}
