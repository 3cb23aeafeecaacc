package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.builder.SafeDelete;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.tools.ToolProvider;
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
 * Jobs on a pool of two real appliances, ca (home) and cb: `mosrun` and `mosvm run` as the
 * caller, `-r`, and live migration with CRIU: programs moved mid-run (one started in a
 * read-only directory, twice and back home; a Java one; a multi-process pipeline appending to
 * a home file over NFS) give exactly the
 * output and status of an unmigrated run (computed on the host); signals reach a moved job;
 * refused migrations say why; a job whose memory grows while it moves keeps every byte; agents
 * restarted under their jobs (a runner's, a home's, one during a lazy restore, a source's whose
 * move's dump had left the job stopped) adopt them and every caller sees every line once. (A
 * target killed during a migration, which leaves the job running on its source, is
 * CheckpointIT's last test: one destroyed cb in the run.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(PoolOfTwo.Shared.class)
@Order(6) // before CheckpointIT, whose last test destroys cb (a target killed mid-move is tested there, with a checkpointed job on it)
@Tag(E2eGroups.POOL_OF_TWO)
class JobsIT extends PoolTestBase {
    static final String DIR = "/pool/ca/alice";
    Path scratch;
    /** ca's whole tree, every job's root (docs/ssi.md): where the nodes see a path of a job of ca. */
    static final String HOME_TREE = "/pool/.homes/ca";

    /** The run's shared pool of two (PoolOfTwo: its balancers are off, these tests move jobs by hand). */
    @BeforeAll
    void onThePoolOfTwo(PoolOfTwo pool) throws Exception {
        scratch = Files.createTempDirectory("mosvm-e2e-jobs-ref");
        cli = pool.running().cli();
        for (String vm : List.of("ca", "cb")) {
            sh(vm, ADD_ALICE);
            install(vm, "/usr/local/bin/bg-job", resource("bg-job"), "755");
        }
        sh("ca", "mkdir -p " + DIR + " && chown alice: " + DIR);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String f : List.of("count.pl", "append.pl", "grow.pl", "lazy.pl", "pipe.sh", "typed.sh")) files.put(DIR + "/" + f, resource(f));
        files.put(DIR + "/Count.class", compiledCount());
        installAll("ca", files, "644");
    }

    @AfterAll
    void cleanUp() throws Exception {
        SafeDelete.deleteTree(scratch);
    }

    @Test
    @Order(1)
    void mosrunRunsAJobAsTheCallerWithItsOutputStatusAndInput() throws Exception {
        MosvmCli.Result r = cli.run("ssh", "-i", "ca", "--", "mosrun", "sh", "-c", "echo out; echo err >&2; exit 3").exitIs(3);
        assertEquals("out\n", r.out());
        assertTrue(r.err().contains("err"), r.err());

        // as an ordinary user of the appliance: the job runs as that user, in a namespace and cgroup of its own
        String who = sh("ca", "cd /home/alice && su alice -c 'mosrun sh -c \"id -un; echo \\$\\$; pwd; cat /proc/self/cgroup\"'");
        List<String> lines = who.lines().toList();
        assertEquals("alice", lines.get(0), who);
        assertEquals("2", lines.get(1), "PID 2 under tini: " + who);
        assertEquals("/home/alice", lines.get(2), who);
        assertTrue(lines.get(3).matches("0::/mosvm/job-ca\\.\\d+"), "its own cgroup: " + who);

        // mosps lists a running job with its owner and its cgroup's accounting
        sh("ca", "su alice -c 'bg-job /home/alice idle sh -c \"while :; do sleep 1; done\"'");
        JsonNode job = waitForJob("ca", "while", 60);
        assertEquals("alice", job.get("user").asText(), job.toString());
        assertEquals("ca", job.get("home").asText());
        assertEquals("RUNNING", job.get("state").asText());
        assertTrue(job.get("cpuSeconds").asDouble() >= 0 && job.get("rssKb").asLong() > 0, "accounted by its cgroup: " + job);
        sh("ca", "pkill -x mosrun");
        waitUntil("ca", "mosps --json 2>/dev/null | grep -c '\"id\"' || true", "0"::equals, 30);

        // from the host, through the local appliance; -r (--node) runs it on another node, output and status still here
        MosvmCli.Result viaHost = cli.run("run", "-i", "ca", "--", "sh", "-c", "echo hello from $(hostname) as $(id -un); exit 5").exitIs(5);
        assertEquals("hello from ca as root\n", viaHost.out());
        MosvmCli.Result remote = cli.run("run", "-i", "ca", "--user", "alice", "--node", "cb", "--", "sh", "-c",
                "echo hello from $(hostname) as $(id -un); exit 6").exitIs(6);
        assertEquals("hello from cb as alice\n", remote.out());
        // input piped to a job sent to another node reaches it (it arrives before the link to that node is up)
        assertEquals("cb\none\ntwo", sh("ca", "cd /tmp && printf 'one\\ntwo\\n' | su alice -c \"mosrun -r cb sh -c 'hostname; cat'\""));
        // root's jobs stay home, whoever asks and however: the node's /proc and /dev in a job's tree would let root out of it
        String rootsOwn = cli.run("ssh", "-i", "ca", "--", "mosrun", "-r", "cb", "true").exitIs(126).err();
        assertTrue(rootsOwn.matches("(?s).*job ca\\.\\d+ is root's and stays on its home ca: only users' jobs \\(uid and group 1000-60000\\) run on other nodes\n"), rootsOwn);
        assertTrue(cli.run("run", "-i", "ca", "--node", "cb", "--", "true").exitIs(126).err().contains("is root's and stays on its home ca"));
        cli.run("run", "-i", "ca", "--", "/no/such/program").exitIs(127);
        assertTrue(cli.run("run", "-i", "ca", "-u", "alice", "--node", "zz", "--", "true").exitIs(126).err().contains("no live node named 'zz'"));
    }

    /**
     * The job starts in a read-only data directory (one root cannot write in either): CRIU's
     * parasite once made its proc mount point in the working directory of the job's init, the
     * caller's, so such a job could not move (and two nodes dumping jobs of one shared directory
     * at once clashed there: CI, 2026-12-04).
     */
    @Test
    @Order(2)
    void aDeterministicProgramStartedInAReadOnlyDirectoryMigratedTwicePrintsExactlyWhatAnUnmigratedRunPrints() throws Exception {
        String reference = onHost("perl", "count.pl", "60", "1000000");
        assertTrue(reference.endsWith("status 3\n"), reference);
        assertTrue(criuWorks("ca"));
        String ro = DIR + "/readonly";
        String roInTree = HOME_TREE + ro; // where the job's root, ca's tree, has it (docs/ssi.md)
        sh("ca", "mkdir -p " + ro + " && chown alice: " + ro + " && { mountpoint -q " + roInTree + " || mount --bind " + roInTree + " " + roInTree + "; }"
                + " && mount -o remount,bind,ro " + roInTree + " && ! touch " + roInTree + "/x 2>/dev/null");
        try {
            sh("ca", "su alice -c 'BG_JOB_CWD=" + ro + " bg-job " + DIR + " count perl ../count.pl 60 1000000'");
            String id = waitForJob("ca", "../count.pl", 60).get("id").asText();
            assertEquals(roInTree, sh("ca", "readlink /proc/$(pgrep -f '^perl ../count.pl')/cwd"), "the program runs in the read-only directory");
            waitUntil("ca", "wc -l < " + DIR + "/count.out", s -> Integer.parseInt(s) >= 3, 60);

            String moved = sh("ca", "su alice -c 'migrate " + id + " cb'");
            assertTrue(moved.startsWith(id + " moved ca -> cb: frozen "), moved);
            JsonNode there = job("ca", id);
            assertEquals("cb", there.get("where").asText(), "mosps on the home node shows it on cb: " + there);
            assertEquals(roInTree, sh("cb", "readlink /proc/$(pgrep -f '^perl ../count.pl')/cwd"), "and on cb in the same directory, over NFS");
            int linesThen = Integer.parseInt(sh("ca", "wc -l < " + DIR + "/count.out"));
            waitUntil("ca", "wc -l < " + DIR + "/count.out", s -> Integer.parseInt(s) >= linesThen + 2, 60); // its output reaches the caller while on cb

            MosvmCli.Result back = cli.run("migrate", "-i", "ca", id, "home", "--json").ok(); // from the host this time
            assertEquals("ca", back.json().get("to").asText(), back.out());
            JsonNode after = job("ca", id);
            assertEquals("ca", after.get("where").asText(), after.toString());
            assertEquals(2, after.get("migrations").asInt(), after.toString());
            for (JsonNode m : after.get("migrationHistory")) {
                assertTrue(m.get("freezeMillis").asLong() > 0 && m.get("totalMillis").asLong() >= m.get("freezeMillis").asLong()
                        && m.get("bytes").asLong() > 0 && m.get("rounds").asInt() >= 1, "figures of each migration: " + m);
            }
            waitUntil("ca", "cat " + DIR + "/count.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
            String got = sh("ca", "cat " + DIR + "/count.out; echo status $(cat " + DIR + "/count.status)") + "\n";
            assertEquals(reference, got, "byte for byte, and the exit status");
            assertEquals("", sh("ca", "cat " + DIR + "/count.err"), "nothing on stderr");
            assertEquals("", sh("ca", "ls -A " + ro), "nothing of CRIU's in the user's directory");
            for (String vm : PoolOfTwo.NODES) { // removed as each node's copy of the job ends
                waitUntil(vm, "ls -A /run/mosvm/init 2>/dev/null | grep -c . || true", "0"::equals, 30);
            }
        } finally {
            sh("ca", "umount " + roInTree + " || true");
        }
    }

    @Test
    @Order(3)
    void aPipelineAppendingToItsHomeFileKeepsAppendingAfterMoving() throws Exception {
        sh("ca", "su alice -c 'rm -f " + DIR + "/log.txt; bg-job " + DIR + " pipe sh pipe.sh " + DIR + "/log.txt'");
        String id = waitForJob("ca", "pipe.sh", 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/log.txt", s -> Integer.parseInt(s) >= 5, 60);
        String moved = sh("ca", "migrate " + id + " cb"); // root may move anyone's job
        assertTrue(moved.contains("moved ca -> cb"), moved);
        waitUntil("ca", "cat " + DIR + "/pipe.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        assertEquals("0", sh("ca", "cat " + DIR + "/pipe.status"), sh("ca", "cat " + DIR + "/pipe.err"));
        StringBuilder log = new StringBuilder();
        StringBuilder out = new StringBuilder();
        for (int i = 1, s = 0; i <= 160; i++) { // 40 s: time enough to move it (a JVM-started migrate) under emulation
            log.append("line ").append(i).append('\n');
            out.append(i).append(' ').append(s += i).append('\n');
        }
        assertEquals(log.toString(), sh("ca", "cat " + DIR + "/log.txt") + "\n", "the home file, written on ca and then over NFS from cb");
        assertEquals(out.toString(), sh("ca", "cat " + DIR + "/pipe.out") + "\n", "both processes and their pipe moved");
    }

    @Test
    @Order(5)
    void inputTypedWhileTheJobMovesReachesItOnceAndInOrder() throws Exception {
        // lines arrive while the job is frozen, and lines it has not read yet wait in its input pipe on the node it leaves
        sh("ca", "su alice -c 'cd " + DIR + " && rm -f typed.out typed.err typed.status && setsid sh typed.sh 120'");
        String id = waitForJob("ca", "while read", 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/typed.out", s -> Integer.parseInt(s) >= 3, 60);
        assertTrue(sh("ca", "migrate " + id + " cb").contains("moved ca -> cb"));
        int linesThen = Integer.parseInt(sh("ca", "wc -l < " + DIR + "/typed.out"));
        waitUntil("ca", "wc -l < " + DIR + "/typed.out", s -> Integer.parseInt(s) >= linesThen + 3, 60);
        assertTrue(sh("ca", "migrate " + id + " home").contains("moved cb -> ca"));
        waitUntil("ca", "cat " + DIR + "/typed.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 120; i++) expected.append("got in ").append(i).append('\n');
        assertEquals(expected.toString(), sh("ca", "cat " + DIR + "/typed.out") + "\n", "every line, once, in order");
        assertEquals("0", sh("ca", "cat " + DIR + "/typed.status"), sh("ca", "cat " + DIR + "/typed.err"));
    }

    @Test
    @Order(6)
    void aJavaProgramMigratesAndFinishes() throws Exception {
        Files.write(scratch.resolve("Count.class"), compiledCount());
        String reference = onHostJava();
        sh("ca", "su alice -c 'bg-job " + DIR + " java java -XX:-UsePerfData -XX:+UseSerialGC -Xmx64m -cp . Count 100'");
        String id = waitForJob("ca", "Count", 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/java.out", s -> Integer.parseInt(s) >= 2, 120);
        String moved = sh("ca", "su alice -c 'migrate " + id + " cb'");
        assertTrue(moved.contains("moved ca -> cb"), moved);
        waitUntil("ca", "cat " + DIR + "/java.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        assertEquals(reference, sh("ca", "cat " + DIR + "/java.out; echo status $(cat " + DIR + "/java.status)") + "\n");
    }

    @Test
    @Order(7)
    void ctrlCAfterAMigrationStopsTheJobThereAndTheCallerGetsItsStatus() throws Exception {
        sh("ca", "su alice -c 'bg-job " + DIR + " sleeper sleep 600'");
        String id = waitForJob("ca", "sleep", 60).get("id").asText();
        assertTrue(sh("ca", "migrate " + id + " cb").contains("moved ca -> cb"));
        assertEquals("cb", job("ca", id).get("where").asText());
        sh("ca", "pkill -INT -f '^mosrun sleep'"); // what a terminal's Ctrl-C does to the foreground job
        waitUntil("ca", "cat " + DIR + "/sleeper.status 2>/dev/null || true", s -> !s.isEmpty(), 60);
        assertEquals("130", sh("ca", "cat " + DIR + "/sleeper.status"), "128 + SIGINT, as a shell reports it");
        waitUntil("cb", "pgrep -x sleep >/dev/null && echo running || echo gone", "gone"::equals, 30);
    }

    @Test
    @Order(8)
    void aJobWhoseMemoryGrowsWhileItMovesKeepsEveryByte() throws Exception {
        // one MiB more every 0.4 s, each a new mapping that merges with its neighbour, which the
        // kernel counts as the whole mapping dirty: pre-copy would send it again every round (a
        // 164 MiB job once sent 644 MiB), so the source must see that and send it about once. Large
        // enough (over 128 MiB) to be restored lazily; slow enough to outlast the move (at 0.15 s a
        // step it ended during it, and migrate said so)
        String reference = onHost("perl", "grow.pl", "240", "0", "0");
        sh("ca", "su alice -c 'bg-job " + DIR + " grow perl grow.pl 240 0.4 5'");
        String id = waitForJob("ca", "grow.pl", 60).get("id").asText();
        Await.until("grow.pl at 140 MiB", Duration.ofMinutes(2), Duration.ofSeconds(1), () -> job("ca", id),
                j -> j.get("rssKb").asLong() >= 140 << 10);
        MosvmCli.Result move = cli.run("ssh", "-i", "ca", "--", "su", "alice", "-c", "migrate " + id + " cb --json");
        if (move.exit() != 0) {
            fail("migrate: " + move.err() + "\ncb's agent:\n" + sh("cb", "journalctl -u mosvm-agent --no-pager | tail -25; free -m; df -m /run/mosvm/images"));
        }
        JsonNode record = move.json();
        assertEquals("cb", record.get("to").asText(), move.out());
        long rssAfter = job("ca", id).get("rssKb").asLong() << 10;
        assertEquals("", sh("ca", "cat " + DIR + "/grow.status 2>/dev/null || true"), "it was still growing when it moved");
        String phases = sh("ca", "journalctl -u mosvm-agent --no-pager | grep 'migrated job " + id + "' | sed 's/.*phases: /phases: /'");
        System.out.println("growing job: " + record.get("bytes").asLong() / 1048576 + " MiB sent, " + rssAfter / 1048576 + " MiB after the move; " + phases);
        assertTrue(record.get("bytes").asLong() < rssAfter * 22 / 10,
                "each page is sent about once, not again every round: " + move.out() + ", " + rssAfter / 1048576 + " MiB after the move; " + phases);
        waitUntil("ca", "cat " + DIR + "/grow.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        assertEquals(reference, sh("ca", "cat " + DIR + "/grow.out; echo status $(cat " + DIR + "/grow.status)") + "\n",
                "the checksum of every MiB it grew, and its status: " + sh("ca", "cat " + DIR + "/grow.err"));
    }

    @Test
    @Order(9)
    void refusedMigrationsSayWhy() throws Exception {
        MosvmCli.Result unknown = cli.run("migrate", "-i", "ca", "ca.1", "cb").exitIs(1);
        assertTrue(unknown.err().contains("no job ca.1 is running in the pool"), unknown.err());

        sh("ca", "su alice -c 'bg-job " + DIR + " pinned -L sleep 600'");
        sh("ca", "su alice -c 'bg-job " + DIR + " free sleep 601'");
        String pinned = waitForJob("ca", "-L", 60).get("id").asText();
        String free = waitForJob("ca", "601", 60).get("id").asText();
        assertTrue(cli.run("migrate", "-i", "ca", pinned, "cb").exitIs(1).err().contains("was started with -L"));
        String noNode = cli.run("migrate", "-i", "ca", free, "zz").exitIs(1).err();
        assertTrue(noNode.contains("no live node named 'zz'"), noNode);
        String here = cli.run("migrate", "-i", "ca", free, "ca").exitIs(1).err();
        assertTrue(here.contains("already runs on ca"), here);
        // root's job, started home (-h lets the balancer move it, were it anyone else's), is not moved even at root's asking
        sh("ca", "cd / && (setsid nohup mosrun -h sleep 603 >/dev/null 2>&1 </dev/null &)");
        String roots = waitForJob("ca", "603", 60).get("id").asText();
        String stays = cli.run("migrate", "-i", "ca", roots, "cb").exitIs(1).err();
        assertTrue(stays.contains("job " + roots + " is root's and stays on its home ca"), stays);
        assertEquals("ca", job("ca", roots).get("where").asText(), "root's job still runs at home");

        // an appliance of another image version is not a target
        sh("cb", "cp /etc/mosvm/image-version /root/iv && echo 0.0.0+other > /etc/mosvm/image-version");
        String other = cli.run("migrate", "-i", "ca", free, "cb").exitIs(1).err();
        sh("cb", "cp /root/iv /etc/mosvm/image-version");
        assertTrue(other.contains("runs appliance image 0.0.0+other"), other);
        assertEquals("ca", job("ca", free).get("where").asText(), "a refused job stays where it was");

        // a job holding a file only its user may open, in its home's tree, is refused with the file's name: cb's
        // root is nobody in ca's tree, and CRIU opens the job's files as root (docs/ssi.md, "What does not move yet")
        sh("ca", "su alice -c 'mkdir -p -m 700 /home/alice/private && echo mine > /home/alice/private/only-mine.txt; bg-job " + DIR
                + " local sh -c \"exec 3</home/alice/private/only-mine.txt; sleep 602\"'");
        String local = waitForJob("ca", "602", 60).get("id").asText();
        String missing = cli.run("migrate", "-i", "ca", local, "cb").exitIs(1).err();
        assertTrue(missing.contains("uses /home/alice/private/only-mine.txt, which cb cannot open in ca's tree"), missing);
        assertEquals("RUNNING", job("ca", free).get("state").asText());
        sh("ca", "pkill -x mosrun || true");
    }

    /**
     * The source's agent dies after its move's final dump has left the job stopped: the new agent
     * asks home to settle the move, home fences the target's copy (it never committed) and the
     * new agent adopts the job at the epoch home gives it and lets it run on. It used to reap it.
     */
    @Test
    @Order(12)
    void aJobLeftStoppedByItsMovesDumpWhenTheSourcesAgentDiedRunsOn() throws Exception {
        String reference = onHost("perl", "count.pl", "60", "1000000");
        install("cb", "/usr/local/sbin/criu", resource("hold-dump-criu"), "755");
        Process migrate = null;
        try {
            sh("cb", "rm -f /run/mosvm-test-dumped && touch /run/mosvm-test-hold-dump");
            // a line every second or so under TCG: it is still running when its move's dump is held
            sh("ca", "su alice -c 'bg-job " + DIR + " stopped -r cb perl count.pl 60 1000000 stopped'");
            String id = waitForJob("ca", "count.pl 60 1000000 stopped", 60).get("id").asText();
            waitUntil("ca", "wc -l < " + DIR + "/stopped.out", s -> Integer.parseInt(s) >= 3, 120);
            migrate = cli.start("ssh", "-i", "ca", "--", "su", "alice", "-c", "migrate " + id + " ca");
            waitUntil("cb", "test -e /run/mosvm-test-dumped && echo dumped || true", "dumped"::equals, 180);
            String since = sh("cb", "date +%s");
            sh("cb", "systemctl kill --kill-whom=main -s KILL mosvm-agent"); // systemd restarts it, and stops the held criu
            waitUntil("cb", "journalctl -u mosvm-agent --no-pager --since @" + since + " | grep -c 'job " + id
                    + " .*adopted.*home settled its move to ca for this copy' || true", s -> !s.isEmpty() && !s.equals("0"), 120);
            assertTrue(migrate.waitFor(60, TimeUnit.SECONDS), "migrate answered");
            assertTrue(migrate.exitValue() != 0, "the move failed: " + new String(migrate.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            waitUntil("ca", "cat " + DIR + "/stopped.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
            assertEquals("3", sh("ca", "cat " + DIR + "/stopped.status"), "the job's own status: " + sh("ca", "cat " + DIR + "/stopped.err"));
            assertSameLines(reference.lines().filter(l -> !l.startsWith("status")).toList(), sh("ca", "cat " + DIR + "/stopped.out").lines().toList(),
                    id, "the caller's output, across the move and the restart");
            assertEquals("", sh("ca", "cat " + DIR + "/stopped.err"), "nothing on stderr");
            assertEquals("0", sh("cb", "pgrep -fc '^perl count.pl 60 1000000 stopped' || true"), "no copy left on cb");
            assertEquals("0", sh("ca", "pgrep -fc '^perl count.pl 60 1000000 stopped' || true"), "none on ca");
        } finally {
            if (migrate != null) migrate.destroy();
            sh("cb", "rm -f /usr/local/sbin/criu /run/mosvm-test-hold-dump /run/mosvm-test-dumped");
        }
    }

    @Test
    @Order(13)
    void anAgentRestartedDuringALazyRestoreAdoptsTheJobAndEveryPageArrives() throws Exception {
        // 140 MiB: restored lazily (128 MiB or more). CRIU's daemon copies a job's memory in within
        // seconds of the restore, so a stand-in criu on cb holds it (stopped) as the restore ends:
        // the agent restarts while the job's memory is still arriving, then the daemon goes on
        String go = "/tmp/mosvm-lazy-go"; // in the job's /tmp, its home's (docs/ssi.md): made at ca, wherever the job runs
        install("cb", "/usr/local/sbin/criu", resource("hold-lazy-criu"), "755");
        try {
            sh("ca", "rm -f " + go);
            sh("cb", "test -x /usr/sbin/criu && rm -f /run/mosvm-test-held-lazy && touch /run/mosvm-test-hold-lazy");
            sh("ca", "su alice -c 'bg-job " + DIR + " lazy perl lazy.pl 140 " + go + "'");
            String id = waitForJob("ca", "lazy.pl 140", 60).get("id").asText();
            waitUntil("ca", "cat " + DIR + "/lazy.out", s -> s.startsWith("filled "), 180);
            MosvmCli.Result move = cli.run("ssh", "-i", "ca", "--", "su", "alice", "-c", "migrate " + id + " cb --json");
            assertEquals(0, move.exit(), "migrate: " + move.err());
            String held = sh("cb", "cat /run/mosvm-test-held-lazy 2>/dev/null || true");
            assertFalse(held.isEmpty(), "the lazy-pages daemon was held as the restore ended: "
                    + sh("cb", "journalctl -u mosvm-agent --no-pager | grep -F '" + id + "' | tail -5"));
            sh("cb", "rm -f /run/mosvm-test-hold-lazy");
            String since = sh("cb", "date +%s");
            sh("cb", "systemctl restart mosvm-agent");
            waitUntil("cb", "journalctl -u mosvm-agent --no-pager --since @" + since + " | grep -c 'job " + id + " .*adopted.*lazy restore goes on' || true",
                    s -> !s.isEmpty() && !s.equals("0"), 120);
            assertEquals(held, sh("cb", "pgrep -f '^/usr/sbin/criu lazy-pages -D /run/mosvm/images/in-" + id + "/' || true"),
                    "the daemon outlived the agent");
            sh("cb", "kill -CONT " + held); // the rest of its memory comes in
            sh("ca", "touch " + go); // and the job reads every page back
            waitUntil("ca", "cat " + DIR + "/lazy.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
            assertEquals("0", sh("ca", "cat " + DIR + "/lazy.status"), sh("ca", "cat " + DIR + "/lazy.err"));
            List<String> lines = sh("ca", "cat " + DIR + "/lazy.out").lines().toList();
            assertEquals(2, lines.size(), lines.toString());
            assertEquals(lines.get(0).substring("filled ".length()), lines.get(1).substring("read back ".length()),
                    "every page as it was before the move, across the restart: " + lines);
            waitUntil("cb", "ls -d /run/mosvm/images/in-" + id + " /sys/fs/cgroup/mosvm/lazy-" + id + " 2>/dev/null || true", String::isEmpty, 60);
        } finally {
            sh("cb", "rm -f /usr/local/sbin/criu /run/mosvm-test-hold-lazy /run/mosvm-test-held-lazy; pkill -CONT -f '^/usr/sbin/criu lazy-pages' || true");
            sh("ca", "rm -f " + go);
        }
    }

    /**
     * The restart tests' job: a line every millisecond or two, so an agent that stops while one
     * is on its way (read from the pipe, not yet kept) shows it as a line missing; 10,000 lines,
     * about 160 KiB, well inside the tail an adopting agent sends again.
     */
    static final String BUSY_LINES = "10000";
    static final int BUSY_WORK = 1500;

    @Test
    @Order(10)
    void anAgentRestartedUnderItsJobAdoptsItAndItsCallerSeesItRunOn() throws Exception {
        List<String> reference = busyLines(BUSY_WORK);
        sh("ca", "su alice -c 'bg-job " + DIR + " adopted -r cb perl count.pl " + BUSY_LINES + " " + BUSY_WORK + "'");
        String id = waitForJob("ca", "count.pl " + BUSY_LINES, 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/adopted.out", s -> Integer.parseInt(s) >= 3, 120);
        String since = sh("cb", "date +%s");
        sh("cb", "systemctl restart mosvm-agent");
        // the job printed on while no agent ran on cb: it waits in its pipe, then the new agent takes it on
        waitUntil("cb", "journalctl -u mosvm-agent --no-pager --since @" + since + " | grep -c 'job " + id + " .*adopted from the agent that ran before' || true",
                s -> !s.isEmpty() && !s.equals("0"), 120);
        JsonNode j = job("ca", id);
        assertEquals("cb", j.get("where").asText(), "still on cb, as its home lists it: " + j);
        waitUntil("ca", "cat " + DIR + "/adopted.status 2>/dev/null || true", s -> !s.isEmpty(), 300);
        assertEquals("3", sh("ca", "cat " + DIR + "/adopted.status"), "the job's own status: " + sh("ca", "cat " + DIR + "/adopted.err"));
        // the new agent sends its job's last output again (its tail), and home passes on what the caller lacks
        assertSameLines(reference, sh("ca", "cat " + DIR + "/adopted.out").lines().toList(), id, "the caller's output, across cb's agent restarting");
        assertEquals("", sh("ca", "cat " + DIR + "/adopted.err"), "nothing on stderr");
        assertEquals("0", sh("cb", "pgrep -fc '^perl count.pl " + BUSY_LINES + "' || true"), "no copy left on cb");
    }

    @Test
    @Order(11)
    void theCallersOfJobsWhoseHomesAgentRestartsReattachAndSeeEveryLineOnce() throws Exception {
        // one job away from home (cb attaches to the new agent) and one at home (the new agent adopts it)
        int awayWork = BUSY_WORK;
        int homeWork = BUSY_WORK + 1;
        sh("ca", "su alice -c 'bg-job " + DIR + " away -r cb perl count.pl " + BUSY_LINES + " " + awayWork + "'");
        sh("ca", "su alice -c 'bg-job " + DIR + " athome -L perl count.pl " + BUSY_LINES + " " + homeWork + "'");
        String away = waitForJob("ca", "count.pl " + BUSY_LINES + " " + awayWork, 60).get("id").asText();
        String atHome = waitForJob("ca", "count.pl " + BUSY_LINES + " " + homeWork, 60).get("id").asText();
        waitUntil("ca", "wc -l < " + DIR + "/away.out", s -> Integer.parseInt(s) >= 3, 120);
        waitUntil("ca", "wc -l < " + DIR + "/athome.out", s -> Integer.parseInt(s) >= 3, 120);
        sh("ca", "systemctl restart mosvm-agent");
        for (String[] job : List.of(new String[] {"away", away}, new String[] {"athome", atHome})) {
            String name = job[0];
            waitUntil("ca", "cat " + DIR + "/" + name + ".status 2>/dev/null || true", s -> !s.isEmpty(), 300);
            assertEquals("3", sh("ca", "cat " + DIR + "/" + name + ".status"), name + ": the job's own status: " + sh("ca", "cat " + DIR + "/" + name + ".err"));
            assertSameLines(busyLines(name.equals("away") ? awayWork : homeWork), sh("ca", "cat " + DIR + "/" + name + ".out").lines().toList(),
                    job[1], name + ": the caller's output, across ca's agent restarting");
            assertEquals("mosrun: the agent stopped; reattaching to job " + job[1], sh("ca", "cat " + DIR + "/" + name + ".err"),
                    name + ": the one line the caller says about it");
            String files = "/var/lib/mosvm/output/1500/" + job[1];
            assertEquals("none", sh("ca", "ls " + files + ".* 2>/dev/null || echo none"), name + ": no stand-in files: the caller had it all");
        }
        System.out.println("jobs " + away + " (on cb) and " + atHome + " (at home) reattached after ca's agent restarted, every line once");
        assertEquals("0", sh("cb", "pgrep -fc '^perl count.pl " + BUSY_LINES + "' || true"), "no copy left on cb");
        assertEquals("0", sh("ca", "pgrep -fc '^perl count.pl " + BUSY_LINES + "' || true"), "no copy left on ca");
    }

    /** The lines of the restart tests' job with {@code work} as the host runs it. */
    List<String> busyLines(int work) throws Exception {
        return onHost("perl", "count.pl", BUSY_LINES, String.valueOf(work)).lines().filter(l -> !l.startsWith("status")).toList();
    }

    /**
     * The caller's lines are the unbroken run's, byte for byte; if not, says where they part
     * (lists of thousands of lines would bury it) and what each agent logged about the job.
     */
    void assertSameLines(List<String> expected, List<String> got, String id, String what) throws Exception {
        if (expected.equals(got)) return;
        int i = 0;
        while (i < Math.min(expected.size(), got.size()) && expected.get(i).equals(got.get(i))) i++;
        String logs = sh("ca", "journalctl -u mosvm-agent --no-pager | grep -F '" + id + "' | tail -40 || true")
                + "\n" + sh("cb", "journalctl -u mosvm-agent --no-pager | grep -F '" + id + "' | tail -40 || true");
        fail(what + ": " + got.size() + " lines where the unbroken run has " + expected.size() + "; they part at line " + (i + 1)
                + ": expected " + (i < expected.size() ? "'" + expected.get(i) + "'" : "the end") + ", got "
                + (i < got.size() ? "'" + got.get(i) + "'" : "the end") + "\nthe agents said:\n" + logs);
    }

    // --- helpers ---

    /** Count.java compiled here for Java 17, the appliance's runtime. */
    byte[] compiledCount() throws IOException {
        Path src = scratch.resolve("Count.java");
        Files.write(src, resource("Count.java"));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-d", scratch.toString(), src.toString());
        assertEquals(0, rc, "javac");
        return Files.readAllBytes(scratch.resolve("Count.class"));
    }

    /** The unmigrated run, on the host: output then "status N". */
    String onHost(String... cmd) throws Exception {
        for (String f : List.of("count.pl", "append.pl", "grow.pl")) Files.write(scratch.resolve(f), resource(f));
        return run(new ProcessBuilder(cmd).directory(scratch.toFile()));
    }

    String onHostJava() throws Exception {
        return run(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", ".", "Count", "100")
                .directory(scratch.toFile()));
    }

    private static String run(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out + "status " + p.waitFor() + "\n";
    }
}
