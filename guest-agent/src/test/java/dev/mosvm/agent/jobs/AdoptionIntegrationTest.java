package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An agent that restarts adopts the jobs still running on its node: the real mosvm-launch,
 * an agent killed as a crash kills it (a JVM of its own, {@link DyingAgent}), and a new
 * {@link JobTable} that adopts the job from the records the dead one kept.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdoptionIntegrationTest {
    static final long WAIT_MILLIS = 30_000;
    Path dir;
    Path launcher;
    Path records;
    Path output;
    Path work;

    @BeforeAll
    void build() throws Exception {
        NativeTools.assertCanLaunchJobs();
        dir = Files.createTempDirectory("mosvm-adopt");
        launcher = NativeTools.compile("mosvm-launch", dir);
    }

    @BeforeEach
    void fresh() throws Exception {
        records = Files.createTempDirectory(dir, "jobs");
        output = dir.resolve("output-" + records.getFileName());
        work = Files.createTempDirectory(dir, "work");
    }

    @AfterAll
    void clean() throws Exception {
        // any job a test left running (a refused one, which Orphans reaps in an appliance): this class's launcher started it
        String launched = launcher.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(launched)).orElse(false))
                .forEach(p -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                });
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** The old agent, its job started: it has printed the job's first line. */
    record Old(Process agent, long supervisor, BufferedReader lines) {}

    /** The old agent's command: it runs {@code script} as job {@code job}. */
    List<String> dying(String job, String script) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), DyingAgent.class.getName(), launcher.toString(), records.toString(), "a", job,
                "sh", "-c", script);
    }

    Old startDying(String job, String script) throws Exception {
        Process agent = new ProcessBuilder(dying(job, script)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
        // in either order: the job's output is relayed while the agent prints the pid
        List<String> two = new ArrayList<>(List.of(String.valueOf(lines.readLine()), String.valueOf(lines.readLine())));
        two.sort(null);
        assertEquals("first", two.get(0), "the job's first line reached the agent that started it: " + two);
        assertTrue(two.get(1).startsWith("started "), "the dying agent started the job: " + two);
        return new Old(agent, Long.parseLong(two.get(1).substring(8)), lines);
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    /** Kills the old agent as a crash does; its job's supervisor runs on. */
    static void crash(Old old) throws Exception {
        old.agent().destroyForcibly();
        assertTrue(old.agent().waitFor(10, TimeUnit.SECONDS));
        assertTrue(ProcessHandle.of(old.supervisor()).map(ProcessHandle::isAlive).orElse(false), "the supervisor outlives the agent");
    }

    JobTable newAgent() {
        return newAgent(0);
    }

    /** @param graceMillis how long an adopted job waits for its caller before its output goes to files */
    JobTable newAgent(long graceMillis) {
        JobTable t = new JobTable("a", null, PeerDirectory.NONE, launcher.toString());
        t.keepRecords(new JobRecords(records));
        t.deliverCallerlessTo(output, graceMillis);
        return t;
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long end = System.currentTimeMillis() + WAIT_MILLIS;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** Whether the job's program (the init's child: tini runs it) waits in a write into a full pipe. */
    static boolean blockedInWrite(long supervisor) {
        long init = Job.firstChild(supervisor);
        long program = init < 0 ? -1 : Job.firstChild(init);
        try {
            return program > 0 && Files.readString(Path.of("/proc/" + program + "/wchan")).contains("pipe_write");
        } catch (Exception e) {
            return false;
        }
    }

    Path files(String job, String ext) {
        return output.resolve("0").resolve(job + "." + ext);
    }

    @Test
    void aJobOutlivesItsAgentAndTheNextOneAdoptsItLosingNothing() throws Exception {
        Path gap = work.resolve("gap");
        // 120 KiB during the gap: past the pipe's 64 KiB, so the job waits in a write rather than die of SIGPIPE
        String script = "echo first; while [ ! -e " + gap + " ]; do sleep 0.05; done; echo small; i=0; while [ $i -lt 12288 ]; do echo gap-$i-xyz; i=$((i+1)); done;"
                + " echo after; read line; echo got:$line; if read more; then echo more:$more; else echo eof; fi; exit 7";
        Old old = startDying("a.1", script);
        crash(old);
        Files.createFile(gap);
        await("the job to fill its pipe with no agent reading", () -> blockedInWrite(old.supervisor()));
        assertTrue(ProcessHandle.of(old.supervisor()).isPresent(), "the job waits rather than dies");

        JobTable table = newAgent();
        assertEquals(List.of("a.1"), Adoption.adoptAll(table));
        Job job = table.running("a.1");
        assertNotNull(job, "the adopted job is in the table");
        await("the job to ask for input", () -> {
            try {
                return Files.readString(files("a.1", "out")).contains("after\n");
            } catch (Exception e) {
                return false;
            }
        });
        job.control(new Frame(MessageType.STDIN, "hello\n".getBytes(StandardCharsets.UTF_8)));
        job.control(Frame.empty(MessageType.STDIN_EOF));
        await("the job's status", () -> Files.exists(files("a.1", "status")));

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes("small\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 12288; i++) expected.writeBytes(("gap-" + i + "-xyz\n").getBytes(StandardCharsets.UTF_8));
        expected.writeBytes("after\ngot:hello\neof\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected.toString(StandardCharsets.UTF_8), Files.readString(files("a.1", "out")), "every byte, in order");
        assertEquals("7\n", Files.readString(files("a.1", "status")), "the job's own status");
        assertEquals(6 + expected.size(), job.stdoutBytes(), "output counted on from the 6 bytes the old agent read");
        await("its record to go", () -> !Files.exists(records.resolve("a.1")));
    }

    @Test
    void anAgentStoppedWithSigtermWhileItsJobPrintsBusilyHandsEveryByteToTheNextOne() throws Exception {
        int lines = 60_000;
        Path go = work.resolve("go");
        // what the old agent passes on goes to a file: a Process's own output stream, once the process has ended,
        // drains what is left in its pipe while a reader may still be reading it, and the reader loses the rest
        Path said = work.resolve("said");
        Process agent = new ProcessBuilder(dying("a.6", "echo first; while [ ! -e " + go + " ]; do sleep 0.05; done;"
                + " i=0; while [ $i -lt " + lines + " ]; do echo busy-$i; i=$((i+1)); [ $((i % 200)) = 0 ] && sleep 0.01; done; exit 5"))
                .redirectOutput(said.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            await("the old agent to start the job", () -> read(said).contains("started ") && read(said).contains("first\n"));
            long supervisor = Long.parseLong(read(said).lines().filter(l -> l.startsWith("started ")).findFirst().orElseThrow().substring(8));
            Files.createFile(go);
            await("the old agent to be busy passing lines on", () -> read(said).length() > 20_000);
            agent.destroy(); // SIGTERM, as systemctl stop sends: its pumps let go before its JVM halts
            assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
            assertTrue(ProcessHandle.of(supervisor).map(ProcessHandle::isAlive).orElse(false), "the supervisor outlives the agent");
        } finally {
            agent.destroyForcibly();
        }
        StringBuilder passedOn = new StringBuilder();
        for (String l : read(said).lines().toList()) if (l.startsWith("busy-")) passedOn.append(l).append('\n');

        long counted = JobRecords.countsIn(records.resolve("a.6")).get(OutputCounts.STDOUT); // what the old agent counted
        JobTable table = newAgent();
        assertEquals(List.of("a.6"), Adoption.adoptAll(table));
        assertTrue(table.running("a.6").tail().end()[0] >= counted, "the old agent's tail holds all it counted: the tail ends at "
                + table.running("a.6").tail().end()[0] + ", the count at " + counted);
        await("the job's status", () -> Files.exists(files("a.6", "status")));
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < lines; i++) expected.append("busy-").append(i).append('\n');
        String got = passedOn + Files.readString(files("a.6", "out"));
        String[] want = expected.toString().split("\n", -1);
        String[] have = got.split("\n", -1);
        int i = 0;
        while (i < Math.min(want.length, have.length) && want[i].equals(have[i])) i++;
        assertEquals(expected.toString(), got, "the old agent's lines, then the new one's, each once: they part at line " + i
                + " (" + (i < want.length ? want[i] : "end") + " expected, " + (i < have.length ? have[i] : "end") + " got)");
        assertEquals("5\n", Files.readString(files("a.6", "status")), "the job's own status");
    }

    /** Job {@code job}, its agent crashed after its first line, then runs {@code rest} and ends while no agent runs; returns once its supervisor noted the status. */
    Old endWhileNoAgentRuns(String job, String rest) throws Exception {
        Path gap = work.resolve("gap");
        Old old = startDying(job, "echo first; while [ ! -e " + gap + " ]; do sleep 0.05; done; " + rest);
        crash(old);
        Files.createFile(gap);
        await("the job's supervisor to note its status", () -> Files.exists(records.resolve(job).resolve(JobRecords.STATUS)));
        return old;
    }

    @Test
    void aJobThatEndedWhileNoAgentRanHasItsStatusReported() throws Exception {
        Old old = endWhileNoAgentRuns("a.2", "exit 5");
        await("the supervisor to end", () -> JobRecords.startTime(old.supervisor()) < 0);

        JobTable table = newAgent();
        assertEquals(List.of(), Adoption.adoptAll(table));
        await("its status for its owner", () -> {
            try {
                return Files.readString(files("a.2", "status")).endsWith("\n"); // created, then written
            } catch (java.io.IOException e) {
                return false;
            }
        });
        assertEquals("5\n", Files.readString(files("a.2", "status")));
        assertFalse(Files.exists(records.resolve("a.2")), "its record is gone");
    }

    @Test
    void whatAJobWroteBeforeItEndedWhileNoAgentRanReachesItsOwnerBeforeItsStatus() throws Exception {
        Old old = endWhileNoAgentRuns("a.3", "i=0; while [ $i -lt 500 ]; do echo last-$i; i=$((i+1)); done; exit 6");
        Thread.sleep(300);
        assertTrue(JobRecords.startTime(old.supervisor()) >= 0, "the supervisor stays while the job's last output is unread");

        JobTable table = newAgent();
        assertEquals(List.of("a.3"), Adoption.adoptAll(table), "adopted for what it left in its pipe");
        await("its status for its owner", () -> read(files("a.3", "status")).endsWith("\n"));
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 500; i++) expected.append("last-").append(i).append('\n');
        assertEquals(expected.toString(), read(files("a.3", "out")), "every line it wrote while no agent ran, once, in order");
        assertEquals("6\n", read(files("a.3", "status")), "the job's own status");
        await("the supervisor to end once its output is read", () -> JobRecords.startTime(old.supervisor()) < 0);
    }

    /** Stops every process of the job, as a move's final dump ({@code criu dump --leave-stopped}) leaves them. */
    static void stopAsADumpDoes(long supervisor) throws Exception {
        for (ProcessHandle p : ProcessHandle.of(supervisor).orElseThrow().descendants().toList()) {
            new ProcessBuilder("kill", "-STOP", String.valueOf(p.pid())).start().waitFor();
        }
        await("the job stopped", () -> {
            try {
                String stat = Files.readString(Path.of("/proc/" + Job.firstChild(supervisor) + "/stat"));
                return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** The record the old agent wrote, as it would be had it stopped the job for a move to {@code target}. */
    void recordStoppedFor(String job, String target) throws Exception {
        JobRecord r = JobRecords.read(records.resolve(job));
        new JobRecords(records).write(new JobRecord(r.spec(), r.supervisor(), r.supervisorStart(), r.cgroup(), r.stdinClosed(),
                r.outBefore(), r.errBefore(), r.memoryArriving(), r.memoryFrom(), target));
    }

    @Test
    void aJobAMovesDumpLeftStoppedRunsOnOnceHomeSettlesTheMoveForIt() throws Exception {
        Old old = startDying("a.7", "echo first; i=0; while [ $i -lt 60 ]; do sleep 0.05; i=$((i+1)); done; echo thawed; exit 3");
        stopAsADumpDoes(old.supervisor());
        crash(old);
        recordStoppedFor("a.7", "b");
        int epoch = JobRecords.read(records.resolve("a.7")).spec().epoch();

        JobTable table = newAgent(); // home of a.7 itself: it settles the move on its own ledger, where b's copy never arrived
        assertEquals(List.of("a.7"), Adoption.adoptAll(table));
        assertEquals(epoch + 1, table.running("a.7").spec().epoch(), "the epoch home gave it: b's copy, fenced, can never attach");
        await("the job's status", () -> read(files("a.7", "status")).endsWith("\n"));
        assertEquals("3\n", read(files("a.7", "status")), "it ran on to its own end");
        assertEquals("thawed\n", read(files("a.7", "out")));
    }

    @Test
    void aStoppedCopyIsAdoptedOnlyIfHomeSettlesItsMoveForIt() {
        assertEquals(null, Adoption.stoppedRefusal("b", 3, new CopyLedger.Settlement(CopyArbiter.Verdict.SOURCE_RESUMES, 4)));
        assertEquals("its move to b went through (the copy there is the job), and this stopped copy is stale",
                Adoption.stoppedRefusal("b", 3, new CopyLedger.Settlement(CopyArbiter.Verdict.TARGET_HAS_IT, 3)));
        assertEquals("it is stopped for its move to b and its home could not say whether that move went through",
                Adoption.stoppedRefusal("b", 3, null));
        assertEquals("a newer copy of it runs (home brought it back from a checkpoint): this stopped copy is stale",
                Adoption.stoppedRefusal("b", 3, new CopyLedger.Settlement(CopyArbiter.Verdict.SOURCE_RESUMES, 3)),
                "home settled for it without a new epoch: it had fenced it already");
        assertEquals(null, Adoption.stoppedRefusal(Job.CHECKPOINT, 3, null), "a checkpoint's dump: nothing to settle");
        assertEquals("it was restored here and never resumed: the copy it came from is the job", Adoption.stoppedRefusal(Job.RESTORED, 3, null));
    }

    @Test
    void aCopyRestoredHereButNeverResumedIsNotAdopted() throws Exception {
        Old old = startDying("a.10", "echo first; sleep 600");
        stopAsADumpDoes(old.supervisor()); // criu restore --leave-stopped leaves it so
        crash(old);
        recordStoppedFor("a.10", Job.RESTORED);
        JobTable table = newAgent();
        assertEquals(List.of(), Adoption.adoptAll(table));
        assertFalse(Files.exists(records.resolve("a.10")), "its record is gone (Orphans reaps it in an appliance)");
    }

    @Test
    void aJobItsUserStoppedIsAdoptedAndStaysStopped() throws Exception {
        Old old = startDying("a.8", "echo first; sleep 600");
        stopAsADumpDoes(old.supervisor()); // kill -STOP, no dump of the agent's recorded
        crash(old);
        JobTable table = newAgent();
        assertEquals(List.of("a.8"), Adoption.adoptAll(table));
        Thread.sleep(300);
        String stat = Files.readString(Path.of("/proc/" + Job.firstChild(old.supervisor()) + "/stat"));
        assertEquals('T', stat.charAt(stat.lastIndexOf(')') + 2), "left as its user left it");
    }

    @Test
    void aJobACheckpointsDumpLeftStoppedRunsOn() throws Exception {
        // 5 s of its own: a loaded host (the image build beside the tests) can take a second or more to print the job's pid
        Old old = startDying("a.9", "echo first; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; echo thawed; exit 4");
        stopAsADumpDoes(old.supervisor());
        crash(old);
        recordStoppedFor("a.9", Job.CHECKPOINT);
        int epoch = JobRecords.read(records.resolve("a.9")).spec().epoch();
        JobTable table = newAgent();
        assertEquals(List.of("a.9"), Adoption.adoptAll(table));
        assertEquals(epoch, table.running("a.9").spec().epoch(), "no other copy came of it: its epoch stays");
        await("the job's status", () -> read(files("a.9", "status")).endsWith("\n"));
        assertEquals("4\n", read(files("a.9", "status")));
        assertEquals("thawed\n", read(files("a.9", "out")));
    }

    @Test
    void aRecordWhosePidIsAnotherProcessNowIsNotAdopted() throws Exception {
        long pid = ProcessHandle.current().pid(); // alive, but not started when the record says
        JobSpec spec = JobSpec.fresh("a.3", "a", 0, 0, List.of("true"), "2026-12-05T10:00:00Z", true, false, "home", "test");
        new JobRecords(records).write(new JobRecord(spec, pid, JobRecords.startTime(pid) + 1, null, false, 0, 0, false, null, null));

        JobTable table = newAgent();
        assertEquals(List.of(), Adoption.adoptAll(table));
        assertEquals(null, table.running("a.3"));
        assertFalse(Files.exists(records.resolve("a.3")), "its record is gone");
        assertFalse(Files.exists(files("a.3", "out")), "nothing is reported for it");
    }

    @Test
    void theEndOfTheCallersInputReachesAJobWhoseSupervisorHoldsItOpen() throws Exception {
        JobTable table = newAgent();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JobSpec spec = JobSpec.fresh("a.4", "a", 0, 0, List.of("sh", "-c", "cat; echo done; exit 3"), "2026-12-05T10:00:00Z", true, false, "home", "test");
        Job job = table.start(spec, Map.of("PATH", "/usr/bin:/bin"), "/", new JobSink() {
            @Override
            public synchronized void output(MessageType kind, byte[] b, int n) {
                out.write(b, 0, n);
            }

            @Override
            public void exited(int status) {
                exit.complete(status);
            }

            @Override
            public void moved() {}
        });
        assertTrue(Files.exists(records.resolve("a.4").resolve(JobRecords.RECORD)), "a job started here has its record");
        // at once: the supervisor may not have taken SIGUSR1 yet, and must not die of it
        job.control(new Frame(MessageType.STDIN, "x\n".getBytes(StandardCharsets.UTF_8)));
        job.control(Frame.empty(MessageType.STDIN_EOF));
        assertEquals(3, exit.get(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the job read EOF and exited with its status");
        job.drainOutput();
        assertEquals("x\ndone\n", out.toString(StandardCharsets.UTF_8));
        try {
            assertTrue(JobRecords.read(records.resolve("a.4")).stdinClosed(), "the record says the input ended");
        } catch (java.io.IOException gone) {
            // the job has ended and its record may be gone already: the next line waits for that
        }
        await("its record to go", () -> !Files.exists(records.resolve("a.4")));
    }

    @Test
    void aCallerThatReattachesGetsTheRestOnceWithWhatTheOldAgentReadButNeverPassedOn() throws Exception {
        Path gap = work.resolve("gap");
        Old old = startDying("a.6", "echo first; while [ ! -e " + gap + " ]; do sleep 0.05; done; echo second; exit 4");
        crash(old);
        JobTable table = newAgent(30_000);
        assertEquals(List.of("a.6"), Adoption.adoptAll(table));
        HomeRecord home = table.home("a.6");
        assertNotNull(home, "the adopted job waits for its caller");
        ByteArrayOutputStream caller = new ByteArrayOutputStream();
        // the caller had none of "first\n": the old agent read it and died before passing it on
        assertTrue(home.reattach(new java.io.DataOutputStream(caller), 0, 0));
        assertFalse(home.reattach(new java.io.DataOutputStream(new ByteArrayOutputStream()), 0, 0), "one caller only");
        Files.createFile(gap);
        await("the job's end to reach its caller", () -> {
            try {
                return home.exit.isDone() && framesOf(caller).stream().anyMatch(f -> f.type() == MessageType.EXIT);
            } catch (Exception e) {
                return false;
            }
        });
        StringBuilder out = new StringBuilder();
        int status = -1;
        for (Frame f : framesOf(caller)) {
            if (f.type() == MessageType.STDOUT) out.append(new String(f.payload(), StandardCharsets.UTF_8));
            if (f.type() == MessageType.EXIT) status = f.u32();
        }
        assertEquals("first\nsecond\n", out.toString(), "every byte once, the old agent's last read included");
        assertEquals(4, status);
        await("its stand-in files to go", () -> !Files.exists(files("a.6", "out")) && !Files.exists(files("a.6", "err")));
        assertFalse(Files.exists(files("a.6", "status")), "the caller had the status");
    }

    /**
     * A lazy restore's daemon, as a restarted agent finds it: the job's record says its memory
     * arrives from {@code round}, and a stand-in for the daemon's wrapper (it ends with
     * {@code status} once {@code go} exists, writing it as the wrapper does) is noted there.
     */
    ProcessHandle lazyRestoreLeftBehind(String job, Path round, Path go, int status) throws Exception {
        Files.createDirectories(round);
        Files.writeString(round.resolve("pages-1.img"), "its memory");
        // not this JVM's child, as the daemon is not the next agent's: it waits for its end by polling
        Path pid = round.resolve("stand-in.pid");
        Process starter = new ProcessBuilder("sh", "-c", "sh -c 'echo $$ > " + pid + "; while [ ! -e " + go + " ]; do sleep 0.05; done; echo " + status
                + " > " + round.resolve(MemoryArrival.STATUS) + "' >/dev/null 2>&1 &").start();
        assertTrue(starter.waitFor(10, TimeUnit.SECONDS));
        await("the stand-in daemon to start", () -> read(pid).endsWith("\n"));
        ProcessHandle daemon = ProcessHandle.of(Long.parseLong(read(pid).trim())).orElseThrow();
        MemoryArrival.started(job, round, null, daemon);
        JobRecord r = JobRecords.read(records.resolve(job));
        new JobRecords(records).write(new JobRecord(r.spec(), r.supervisor(), r.supervisorStart(), r.cgroup(), r.stdinClosed(),
                r.outBefore(), r.errBefore(), true, round.toString(), null));
        return daemon;
    }

    @Test
    void anAgentRestartedDuringALazyRestoreAdoptsTheJobAndTheRestoreCompletes() throws Exception {
        Path go = work.resolve("go");
        Path gap = work.resolve("gap");
        Old old = startDying("a.7", "echo first; while [ ! -e " + gap + " ]; do sleep 0.05; done; echo second; exit 6");
        Path round = work.resolve(MemoryArrival.INCOMING_PREFIX + "a.7").resolve("2");
        ProcessHandle daemon = lazyRestoreLeftBehind("a.7", round, go, 0);
        crash(old);

        JobTable table = newAgent();
        assertEquals(List.of("a.7"), Adoption.adoptAll(table), "its lazy restore goes on, so the job is adopted");
        Job job = table.running("a.7");
        assertTrue(job.memoryArriving(), "its memory still arrives");
        assertEquals(Set.of(round.getParent().toAbsolutePath().normalize()), table.memoryArrivingFrom(), "its images are kept");
        assertTrue(JobRecords.read(records.resolve("a.7")).memoryArriving(), "a restart now would follow the daemon too");

        Files.createFile(go);
        daemon.onExit().get(10, TimeUnit.SECONDS);
        await("its memory to be all in", () -> !job.memoryArriving());
        await("the images to go", () -> !Files.exists(round.getParent()));
        assertFalse(JobRecords.read(records.resolve("a.7")).memoryArriving(), "its record says so");
        Files.createFile(gap);
        await("the job's status", () -> read(files("a.7", "status")).endsWith("\n"));
        assertEquals("6\n", read(files("a.7", "status")), "the job ran on to its own end");
        assertEquals("second\n", read(files("a.7", "out")));
    }

    @Test
    void aJobWhoseLazyRestoreFailsAfterAdoptionIsKilledRatherThanRunOnWithoutItsMemory() throws Exception {
        Path go = work.resolve("go");
        Old old = startDying("a.8", "echo first; while :; do sleep 0.05; done");
        Path round = work.resolve(MemoryArrival.INCOMING_PREFIX + "a.8").resolve("3");
        lazyRestoreLeftBehind("a.8", round, go, 1);
        crash(old);

        JobTable table = newAgent();
        assertEquals(List.of("a.8"), Adoption.adoptAll(table));
        Files.createFile(go);
        await("the job's end", () -> read(files("a.8", "status")).endsWith("\n"));
        assertEquals("137\n", read(files("a.8", "status")), "killed: it would have read zeros where its memory was missing");
        await("the images to go", () -> !Files.exists(round.getParent()));
    }

    @Test
    void aJobWhoseLazyRestoreEndedUnfinishedWhileNoAgentRanIsNotAdopted() throws Exception {
        Path go = work.resolve("go");
        Old old = startDying("a.9", "echo first; while :; do sleep 0.05; done");
        Path round = work.resolve(MemoryArrival.INCOMING_PREFIX + "a.9").resolve("2");
        ProcessHandle daemon = lazyRestoreLeftBehind("a.9", round, go, 1);
        crash(old);
        Files.createFile(go);
        daemon.onExit().get(10, TimeUnit.SECONDS);
        JobRecord r = JobRecords.read(records.resolve("a.9"));
        assertEquals("the lazy-pages daemon ended with status 1 (see " + round.resolve("lazy-pages.log") + ") before all its memory was in",
                Adoption.refusal(r, MemoryArrival.left("a.9", round, null)));

        JobTable table = newAgent();
        List<String> adopted = Adoption.adoptAll(table);
        try {
            assertEquals(List.of(), adopted, "its memory is not whole: its home recovers it, or tells its caller");
            assertEquals(null, table.running("a.9"));
        } finally {
            ProcessHandle.of(old.supervisor()).ifPresent(ProcessHandle::destroyForcibly); // Orphans reaps it in an appliance
        }
    }

    @Test
    void aJobWhoseLazyRestoreCompletedWhileNoAgentRanIsAdoptedWithItsMemoryIn() throws Exception {
        Path go = work.resolve("go");
        Path gap = work.resolve("gap");
        Old old = startDying("a.10", "echo first; while [ ! -e " + gap + " ]; do sleep 0.05; done; echo second; exit 5");
        Path round = work.resolve(MemoryArrival.INCOMING_PREFIX + "a.10").resolve("2");
        ProcessHandle daemon = lazyRestoreLeftBehind("a.10", round, go, 0);
        crash(old);
        Files.createFile(go);
        daemon.onExit().get(10, TimeUnit.SECONDS);

        JobTable table = newAgent();
        assertEquals(List.of("a.10"), Adoption.adoptAll(table));
        Job job = table.running("a.10");
        assertFalse(job.memoryArriving(), "every page was in before it was adopted");
        await("the images to go", () -> !Files.exists(round.getParent()));
        Files.createFile(gap);
        await("the job's status", () -> read(files("a.10", "status")).endsWith("\n"));
        assertEquals("5\n", read(files("a.10", "status")));
        assertEquals("second\n", read(files("a.10", "out")));
    }

    @Test
    void aRecordOfAnOlderAgentWhoseMemoryStillArrivedNamesNoImagesAndIsNotAdopted() throws Exception {
        JobSpec spec = JobSpec.fresh("a.11", "a", 0, 0, List.of("true"), "2026-12-05T10:00:00Z", true, false, "home", "test");
        JobRecord r = new JobRecord(spec, 1, 1, null, false, 0, 0, true, null, null);
        assertEquals("its lazy restore had not copied all its memory in when the agent stopped", Adoption.refusal(r, null));
    }

    static List<Frame> framesOf(ByteArrayOutputStream b) throws Exception {
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(b.toByteArray()));
        List<Frame> frames = new ArrayList<>();
        for (Frame f; (f = dev.mosvm.agent.wire.FrameCodec.read(in)) != null; ) frames.add(f);
        return frames;
    }
}
