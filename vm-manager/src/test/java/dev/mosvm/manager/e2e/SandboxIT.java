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
 * two: a job of ca's moved to cb has cb's guest limits in its cgroup; a fork bomb there stops
 * at its own process limit while cb goes on serving, and the same job at home does not; a job
 * cannot mount, leave its root, make namespaces or load a module, on cb and after a move, and
 * neither can root's at home (root's jobs stay there). The jobs that leave ca are alice's.
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
        sh("ca", ADD_ALICE + "; mkdir -p /pool/ca/w && chown alice: /pool/ca/w");
        // forks WANT children that each sleep NAP seconds, stops at the first refused fork, says how far it got
        install("ca", FORKS, """
                $| = 1; my ($want, $nap) = @ARGV; my $made = 0; my $why = "";
                for (1 .. $want) { my $p = fork(); if (!defined $p) { $why = "$!"; last } if ($p == 0) { sleep $nap; exit 0 } $made++ }
                print "made $made of $want" . ($why ? ": $why" : "") . "\\n"; 1 while wait() > 0;
                """.getBytes(StandardCharsets.UTF_8), "644");
    }

    @AfterEach
    void noJobsLeft() throws Exception {
        sh("ca", "pkill -f 'sleep 6[0-9][0-9]|[f]orks[.]pl' || true");
    }

    /** A job started at home and moved to cb: CRIU restores no cgroup v2 settings, so cb writes them before the restore. */
    @Test
    void aGuestMovedToANodeHasItsLimitsThere() throws Exception {
        sh("ca", "cd /pool/ca && (setsid nohup su alice -c 'mosrun -h sleep 601' >/dev/null 2>&1 </dev/null &)");
        String id = waitForJob("ca", "sleep 601", 120).get("id").asText();
        cli.run("migrate", "-i", "ca", id, "cb").ok();
        assertEquals("cb", job("ca", id).get("where").asText(), "moved");
        long memTotalKb = Long.parseLong(sh("cb", "awk '/^MemTotal:/ {print $2}' /proc/meminfo"));
        long expected = Math.max(memTotalKb - RESERVE_KB, memTotalKb / 4) * 1024;
        assertEquals(expected + " " + GUEST_PIDS_MAX + " 5 1", limits("cb", "/sys/fs/cgroup/mosvm/job-" + id),
                "memory.max, pids.max, cpu.weight and memory.oom.group of guest " + id + " on cb (MemTotal " + memTotalKb + " kB)");
    }

    /** A guest started on cb forks until refused, its children holding their slots; cb starts jobs meanwhile. */
    @Test
    void aGuestsForkBombStopsAtItsLimitAndTheNodeServesOn() throws Exception {
        int want = GUEST_PIDS_MAX + 100;
        String out = "/pool/ca/w/forks.out";
        sh("ca", "rm -f " + out + "; cd /pool/ca && (setsid nohup su alice -c 'mosrun -r cb perl " + FORKS + " " + want + " 120' >" + out + " 2>&1 </dev/null &)");
        String id = waitForJob("ca", FORKS, 120).get("id").asText();
        String pids = "/sys/fs/cgroup/mosvm/job-" + id + "/pids.current";
        waitUntil("cb", "cat " + pids + " 2>/dev/null || echo 0", n -> Integer.parseInt(n) >= GUEST_PIDS_MAX, 300);
        // while the guest holds its every process slot (its children sleep two minutes)
        assertEquals("started on cb", sh("ca", "cd /pool/ca && su alice -c 'mosrun -r cb echo started on cb'"), "cb starts another guest");
        assertEquals("ok", sh("cb", "sh -c 'sleep 1 & wait; echo ok'"), "cb starts processes of its own");
        assertEquals(String.valueOf(GUEST_PIDS_MAX), sh("cb", "cat " + pids), "the guest is still at its limit: this was meanwhile");

        waitUntil("ca", "grep '^made' " + out + " 2>/dev/null || true", s -> s.startsWith("made"), 300);
        Matcher guest = made(sh("ca", "grep '^made' " + out));
        int madeThere = Integer.parseInt(guest.group(1));
        assertTrue(madeThere < GUEST_PIDS_MAX && madeThere > GUEST_PIDS_MAX - 16,
                "a guest on cb makes its limit's worth of processes less its own few, then is refused: " + guest.group());
        assertTrue(guest.group().contains("Resource temporarily unavailable"), "refused with EAGAIN: " + guest.group());

        Matcher home = made(sh("ca", "cd /pool/ca && su alice -c 'mosrun -h perl " + FORKS + " " + want + " 5'"));
        System.out.println("sandbox e2e: a guest on cb " + guest.group() + "; the same job at home " + home.group());
        assertEquals(String.valueOf(want), home.group(1), "the same job at home has no such limit: " + home.group());
    }

    /**
     * Every job runs under no_new_privs and a seccomp filter its launcher sets: root's at home (where
     * root's jobs stay), where the filter is all that refuses a mount; alice's on cb, then again after
     * CRIU moved it home (the filter travels; no_new_privs does not with CRIU 3.17, so the second
     * report shows what it is there).
     */
    @Test
    void aJobIsConfinedOnItsNodeAndAfterAMove() throws Exception {
        String w = "/pool/ca/w";
        sh("ca", "rm -f " + w + "/confined.* " + w + "/go");
        install("ca", w + "/attempts.sh", """
                echo oom_score_adj: $(cat /proc/self/oom_score_adj)
                grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t' ' '
                unshare -U true 2>/dev/null && echo unshare: allowed || echo unshare: refused
                mount -t tmpfs none /mnt 2>/dev/null && echo mount: allowed || echo mount: refused
                chroot / true 2>/dev/null && echo chroot: allowed || echo chroot: refused
                perl -e 'my $args = ""; syscall(313, -1, $args, 0) == -1 and print qq{finit_module: $!\n}'
                perl -e 'syscall(321, 0, 0, 0) == -1 and print qq{bpf: $!\n}'
                """.getBytes(StandardCharsets.UTF_8), "644");
        install("ca", w + "/confined.sh", """
                sh W/attempts.sh > W/confined.before
                while [ ! -e W/go ]; do sleep 1; done
                sh W/attempts.sh > W/confined.after
                """.replace("W/", w + "/").getBytes(StandardCharsets.UTF_8), "644");
        String refusals = """
                unshare: refused
                mount: refused
                chroot: refused
                finit_module: Operation not permitted
                bpf: Operation not permitted""";
        String confined = "oom_score_adj: 0\nNoNewPrivs: 1\nSeccomp: 2\n" + refusals;
        assertEquals(confined, sh("ca", "cd " + w + " && mosrun -L sh attempts.sh"), "root's job at home");

        sh("ca", "cd " + w + " && (setsid nohup su alice -c 'mosrun -r cb sh confined.sh' >/dev/null 2>" + w + "/confined.err </dev/null &)");
        String id = waitForJob("ca", "confined.sh", 120).get("id").asText();
        waitUntil("ca", "cat " + w + "/confined.before 2>/dev/null | grep -c . || true", "8"::equals, 120);
        assertEquals(confined, sh("ca", "cat " + w + "/confined.before"), "alice's job on cb");
        assertEquals("-500", sh("cb", "cat /proc/$(systemctl show -p MainPID --value mosvm-agent)/oom_score_adj"),
                "the agent is out of the OOM killer's first choices, and its jobs are not");

        cli.run("migrate", "-i", "ca", id, "home").ok();
        sh("ca", "touch " + w + "/go");
        waitUntil("ca", "cat " + w + "/confined.after 2>/dev/null | grep -c . || true", "8"::equals, 120);
        String after = sh("ca", "cat " + w + "/confined.after");
        System.out.println("sandbox e2e: after the move home:\n" + after);
        assertTrue(after.startsWith("oom_score_adj: 0\n"), "a restored job is scored as any other, not as its agent: " + after);
        assertTrue(after.contains("Seccomp: 2\n" + refusals), "the same job moved home by CRIU: " + after);
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
