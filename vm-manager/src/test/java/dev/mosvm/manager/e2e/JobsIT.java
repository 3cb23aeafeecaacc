package dev.mosvm.manager.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mosvm.builder.SafeDelete;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Jobs on real appliances: `mosrun` inside one (over `mosvm ssh`) and `mosvm run` from the
 * host run a program as a job, as the caller, in its own PID namespace and cgroup, with its
 * output, input and exit status the caller's. And what migration (issue 4) builds on: CRIU in the guest
 * checkpoints a running job in its own PID namespace (pre-dump with memory tracking, then
 * dump), the images move to a second appliance VM, and the job resumes there where it
 * stopped, in a new PID namespace, and still takes signals through its init (tini).
 * The job's file travels with the images here; with NFS (issue 4) it will not need to.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobsIT {
    Path home;
    MosvmCli cli;

    /** The job: tini as its PID namespace's init and session leader, counting into a file. */
    static final String START = "rm -rf /root/img /root/count.txt; mkdir -p /root/img/pre /root/img/final\n"
            + "unshare --pid --fork setsid tini -- sh -c 'i=0; while :; do i=$((i+1)); echo $i >> /root/count.txt; sleep 0.1; done'"
            + " </dev/null >/dev/null 2>&1 &\n"
            + "sleep 2; pgrep -P $(pgrep -n -x unshare)";

    @BeforeAll
    void upTwo() throws Exception {
        MosvmCli.requireEnvironment();
        home = Files.createTempDirectory("mosvm-e2e-jobs");
        cli = new MosvmCli(home);
        for (String vm : List.of("ca", "cb")) cli.run("up", vm, "--memory", "512M").ok();
    }

    @AfterAll
    void destroy() throws Exception {
        for (String vm : List.of("ca", "cb")) cli.run("destroy", vm);
        SafeDelete.deleteTree(home);
    }

    String sh(String vm, String script) throws Exception {
        return cli.run("ssh", "-i", vm, "--", "bash", "-c", script).ok().out().strip();
    }

    @Test
    void mosrunRunsAJobAsTheCallerWithItsOutputStatusAndInput() throws Exception {
        MosvmCli.Result r = cli.run("ssh", "-i", "ca", "--", "mosrun", "sh", "-c", "echo out; echo err >&2; exit 3").exitIs(3);
        assertEquals("out\n", r.out());
        assertTrue(r.err().contains("err"), r.err());

        // as an ordinary user of the appliance: the job runs as that user, in a namespace and cgroup of its own
        sh("ca", "id alice >/dev/null 2>&1 || useradd -m alice");
        String who = sh("ca", "cd /home/alice && su alice -c 'mosrun sh -c \"id -un; echo \\$\\$; pwd; cat /proc/self/cgroup\"'");
        List<String> lines = who.lines().toList();
        assertEquals("alice", lines.get(0), who);
        assertEquals("2", lines.get(1), "PID 2 under tini: " + who);
        assertEquals("/home/alice", lines.get(2), who);
        assertTrue(lines.get(3).matches("0::/mosvm/job-ca\\.\\d+"), "its own cgroup: " + who);

        // mosps lists a running job with its owner and its cgroup's accounting
        sh("ca", "setsid su alice -c 'mosrun sh -c \"while :; do sleep 1; done\"' </dev/null >/dev/null 2>&1 &");
        JsonNode jobs = null;
        for (int i = 0; i < 60 && (jobs == null || jobs.size() == 0); i++) {
            Thread.sleep(1000);
            jobs = cli.run("ssh", "-i", "ca", "--", "mosps", "--json").ok().json();
        }
        assertEquals(1, jobs.size(), jobs.toString());
        JsonNode job = jobs.get(0);
        assertEquals("alice", job.get("user").asText(), job.toString());
        assertEquals("ca", job.get("home").asText());
        assertEquals("RUNNING", job.get("state").asText());
        assertTrue(job.get("cpuSeconds").asDouble() >= 0 && job.get("rssKb").asLong() > 0, "accounted by its cgroup: " + job);
        sh("ca", "pkill -f '[d]ev.mosvm.agent.cli.Mosrun'; for i in $(seq 20); do [ \"$(mosps --json)\" = '[ ]' ] && break; sleep 0.2; done");
        assertEquals(0, cli.run("ssh", "-i", "ca", "--", "mosps", "--json").ok().json().size(), "a job whose caller died is hung up");

        // from the host, through the local appliance; input reaches the job
        MosvmCli.Result viaHost = cli.run("run", "-i", "ca", "--", "sh", "-c", "echo hello from $(hostname); exit 5").exitIs(5);
        assertEquals("hello from ca\n", viaHost.out());
        cli.run("run", "-i", "ca", "--", "/no/such/program").exitIs(127);
    }

    @Test
    void aJobInItsOwnPidNamespaceMovesToAnotherApplianceAndCarriesOn() throws Exception {
        assertTrue(cli.run("ssh", "-i", "ca", "--", "criu", "check").ok().out().contains("Looks good"), "criu works in the guest");
        assertTrue(sh("ca", "criu check --feature mem_dirty_track").contains("supported"), "pre-copy needs dirty-memory tracking");

        String pid = sh("ca", START);
        assertTrue(pid.matches("\\d+"), "the namespace's init: " + pid);
        assertTrue(sh("ca", "grep NSpid /proc/" + pid + "/status").matches("NSpid:\\s+" + pid + "\\s+1"), "PID 1 in its own namespace");

        String dump = sh("ca", "criu pre-dump -t " + pid + " -D /root/img/pre --track-mem -o pre.log && "
                + "criu dump -t " + pid + " -D /root/img/final --prev-images-dir ../pre --track-mem -o dump.log && "
                + "echo dumped; tail -1 /root/count.txt");
        assertTrue(dump.startsWith("dumped"), dump);
        long atDump = Long.parseLong(dump.lines().reduce((a, b) -> b).orElseThrow().strip());
        assertEquals("", sh("ca", "pgrep -x tini || true"), "the job stopped on the source after the dump");

        // images and the job's file go through the host: ssh out of one guest into the other
        ProcessBuilder pipe = new ProcessBuilder("bash", "-o", "pipefail", "-c",
                cli.shellLine("ssh", "-i", "ca", "--", "tar", "-C", "/root", "-cf", "-", "img", "count.txt")
                + " | " + cli.shellLine("ssh", "-i", "cb", "--", "tar", "-C", "/root", "-xf", "-")).inheritIO();
        pipe.environment().putAll(cli.env);
        Process copy = pipe.start();
        assertEquals(0, copy.waitFor(), "images copied");

        String restored = sh("cb", "{ criu restore -D /root/img/final --restore-detached -o restore.log || { grep -i error /root/img/final/restore.log; exit 1; }; } && sleep 3 && "
                + "tail -1 /root/count.txt && pgrep -x tini");
        List<String> lines = restored.lines().toList();
        long after = Long.parseLong(lines.get(0).strip());
        assertTrue(after > atDump + 5, "counting on from " + atDump + " on the target: " + after);
        String newPid = lines.get(1).strip();
        assertTrue(sh("cb", "grep NSpid /proc/" + newPid + "/status").matches("NSpid:\\s+" + newPid + "\\s+1"), "in a new PID namespace");

        // a signal to the init reaches the program (tini forwards it) and the whole job ends
        sh("cb", "kill -TERM " + newPid + "; for i in $(seq 50); do kill -0 " + newPid + " 2>/dev/null || break; sleep 0.1; done");
        assertEquals("", sh("cb", "pgrep -x tini || true"), "the job ended on SIGTERM");
    }
}
