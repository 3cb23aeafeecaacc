package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.api.LoopbackAgent;
import dev.mosvm.agent.cli.Mosps;
import dev.mosvm.api.JobView;
import dev.mosvm.api.Json;
import dev.mosvm.console.JobsTable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * The job service with the real `mosrun` client, as separate processes on this machine
 * (PID namespaces need root, as CI runs: it fails, never skips, without it): output on the
 * right stream, the job's exit status as the caller's, input, the caller's directory and
 * environment, the job as PID 2 under tini in a namespace of its own, and signals from the
 * caller reaching the job.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobServerIntegrationTest {
    Path dir;
    JobServer server;

    @BeforeAll
    void start() throws Exception {
        NativeTools.assertCanLaunchJobs();
        dir = Files.createTempDirectory("mosvm-jobs");
        mosrunBinary = NativeTools.compile("mosrun", dir);
        launcherBinary = NativeTools.compile("mosvm-launch", dir);
        server = new JobServer(dir.resolve("jobs.sock"), new JobTable("test", null, PeerDirectory.NONE, launcherBinary.toString()), (job, node, uid, mode) -> {
            throw new java.io.IOException("no pool here");
        }, job -> new Placement.Choice("test", "the only node"));
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
        Files.deleteIfExists(mosrunBinary);
        Files.deleteIfExists(launcherBinary);
        Files.deleteIfExists(dir);
    }

    Path mosrunBinary;
    Path launcherBinary;

    record Run(int exit, String out, String err) {}

    /** `mosrun ARGV` in {@code cwd}, its input left open for the test to write. */
    Process mosrunWithInputOpen(Path cwd, String... argv) throws Exception {
        // the appliance's own client, built as the image build builds it, as users run it
        List<String> cmd = new ArrayList<>(List.of(mosrunBinary.toString()));
        cmd.addAll(List.of(argv));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("MOSVM_JOBS_SOCKET", dir.resolve("jobs.sock").toString());
        pb.environment().put("MOSRUN_TEST", "from the caller \"quoted\" \u00e9");
        return pb.start();
    }

    /** `mosrun ARGV` in {@code cwd} with {@code stdin} (null: none) as its whole input. */
    Process mosrun(Path cwd, String stdin, String... argv) throws Exception {
        Process p = mosrunWithInputOpen(cwd, argv);
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        return p;
    }

    Run run(String stdin, String... argv) throws Exception {
        Process p = mosrun(Path.of("/tmp"), stdin, argv);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void outputGoesToTheRightStreamAndTheStatusIsTheCallers() throws Exception {
        Run r = run(null, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals("out\n", r.out());
        assertEquals("err\n", r.err());
        assertEquals(3, r.exit());
    }

    @Test
    void theJobRunsInItsOwnPidNamespaceWithTheCallersDirectoryEnvironmentAndInput() throws Exception {
        Run r = run("line one\nline two\n", "sh", "-c", "echo $$; pwd; echo \"$MOSRUN_TEST\"; cat");
        assertEquals("2\n/tmp\nfrom the caller \"quoted\" \u00e9\nline one\nline two\n", r.out(), "PID 2, under tini as PID 1: " + r.err());
        assertEquals(0, r.exit());
    }

    @Test
    void aLargeInputAndTheOutputItMakesFlowTogetherWholeAndInOrder() throws Exception {
        // both ways at once: mosrun queues its input for the agent, sends it as the agent reads, and reads the output meanwhile
        byte[] input = new byte[8 << 20];
        new java.util.SplittableRandom(7).nextBytes(input);
        Process p = mosrunWithInputOpen(Path.of("/tmp"), "cat");
        Thread feed = new Thread(() -> {
            try (var in = p.getOutputStream()) {
                in.write(input);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        feed.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        feed.join();
        assertTrue(java.util.Arrays.equals(input, out), "the job's output is its input: " + out.length + " of " + input.length + " bytes");
        assertEquals(0, p.exitValue());
    }

    @Test
    void aSignalToTheCallerReachesTheJob() throws Exception {
        Process p = mosrun(Path.of("/tmp"), null, "sh", "-c", "trap 'echo got INT; exit 42' INT; echo ready; while :; do sleep 0.1; done");
        var out = p.getInputStream();
        byte[] ready = out.readNBytes(6);
        assertEquals("ready\n", new String(ready, StandardCharsets.UTF_8));
        new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the job ended");
        assertEquals("got INT\n", new String(out.readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(42, p.exitValue());
    }

    @Test
    void everyCtrlCReachesAJobThatTakesThemAndTheCallerWaitsOn() throws Exception {
        // an agent that reads the caller's signals never lets a second Ctrl-C end the wait: the job decides
        Process p = mosrun(Path.of("/tmp"), null, "sh", "-c",
                "n=0; trap 'n=$((n+1)); echo got $n' INT; echo ready; while [ $n -lt 2 ]; do sleep 0.1; done; exit 7");
        var out = p.getInputStream();
        assertEquals("ready\n", new String(out.readNBytes(6), StandardCharsets.UTF_8));
        new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
        assertEquals("got 1\n", new String(out.readNBytes(6), StandardCharsets.UTF_8));
        new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the job ended");
        assertEquals("got 2\n", new String(out.readAllBytes(), StandardCharsets.UTF_8));
        assertEquals("", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(7, p.exitValue());
    }

    @Test
    void badOptionsGiveOneLineAndNoJob() throws Exception {
        Run r = run(null, "-L", "-r", "elsewhere", "true");
        assertEquals(126, r.exit());
        assertEquals("mosrun: -L keeps a job home; it cannot also run on elsewhere\n", r.err());
        assertEquals(126, run(null, "--bogus", "true").exit());
        assertEquals(2, run(null).exit(), "no program: usage");
    }

    @Test
    void aProgramThatCannotRunGivesTheShellsStatus() throws Exception {
        Run r = run(null, "/no/such/program");
        assertEquals(127, r.exit(), r.err());
        assertTrue(r.err().contains("/no/such/program"), r.err());
    }

    @Test
    void theAgentsApiListsWhatMospsListsAndTheHostPrintsItAlike() throws Exception {
        Process p = mosrun(Path.of("/tmp"), null, "sh", "-c", "echo ready; sleep 31");
        try (LoopbackAgent agent = LoopbackAgent.start("test")) {
            assertEquals("ready\n", new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
            agent.server.jobs(null, null, server.poolJobs());
            List<JobView> overHttps = agent.client(true).jobs();
            assertTrue(overHttps.stream().anyMatch(j -> j.argv().contains("echo ready; sleep 31")), overHttps.toString());
            String socket = dir.resolve("jobs.sock").toString();
            // mosvm ps prints Json.pretty of the API's list, or JobsTable of it: what mosps prints
            assertEquals(Json.pretty(overHttps) + "\n", mosps("--socket", socket, "--json"));
            StringWriter table = new StringWriter();
            PrintWriter out = new PrintWriter(table);
            JobsTable.print(out, overHttps, false);
            out.flush();
            assertEquals(table.toString(), mosps("--socket", socket));
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
    }

    static String mosps(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new Mosps());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute(args));
        return out.toString();
    }

    @Test
    void runningJobsAreListedUntilTheyEnd() throws Exception {
        Process p = mosrun(Path.of("/tmp"), null, "sh", "-c", "echo ready; sleep 30");
        assertEquals("ready\n", new String(p.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
        List<JobView> jobs = Mosps.list(dir.resolve("jobs.sock"));
        JobView j = jobs.stream().filter(v -> v.argv().equals(List.of("sh", "-c", "echo ready; sleep 30"))).findFirst().orElseThrow();
        assertEquals("root", j.user());
        assertEquals("test", j.home());
        assertEquals("RUNNING", j.state());
        assertTrue(j.id().startsWith("test."), j.id());
        p.destroy(); // the caller goes away: the job is hung up and leaves the list
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        long deadline = System.currentTimeMillis() + 10_000;
        while (Mosps.list(dir.resolve("jobs.sock")).stream().anyMatch(v -> v.id().equals(j.id()))) {
            assertTrue(System.currentTimeMillis() < deadline, "job " + j.id() + " still listed after its caller went away");
            Thread.sleep(100);
        }
    }
}
