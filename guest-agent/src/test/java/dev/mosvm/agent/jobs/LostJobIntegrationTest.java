package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.recovery.RunnerWatch;
import dev.mosvm.agent.recovery.TestClock;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.Whereabouts;
import dev.mosvm.api.NodeState;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The end of a caller's wait, with the real `mosrun` against the real job service at home
 * node a, and node b (and c) played by the test over real peer channels: a job whose node is
 * declared gone ends with the one line naming it and status 125, by the home's own look or at
 * once on a signal; a job caught moving runs on when its next node attaches; a node whose
 * agent restarted, saying it no longer has the job, loses it, but a move's source saying so
 * before its target attaches does not; a node that answers gets the caller's signals; and an
 * agent that reads nothing cannot keep `mosrun` past a second Ctrl-C.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LostJobIntegrationTest {
    Path dir;
    Path mosrunBinary;
    TestClock clock;

    @BeforeAll
    void build() throws Exception {
        dir = Files.createTempDirectory("mosvm-lost");
        mosrunBinary = NativeTools.compile("mosrun", dir);
    }

    @BeforeEach
    void freshClock() {
        clock = new TestClock();
    }

    @AfterAll
    void clean() throws Exception {
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * A job started with `mosrun ARGV` at home a (b and c ALIVE in its view, looked at every
     * {@code watchEvery}) and running on b: b read the start request and the end of the
     * caller's input, and sent a first line of output, which the caller printed.
     */
    record OnB(LoopbackPeers peers, JobServer home, Process caller, PeerChannel link, JobSpec spec) implements AutoCloseable {
        String job() {
            return spec.id();
        }

        @Override
        public void close() throws IOException {
            caller.destroy();
            home.close();
        }
    }

    OnB jobOnB(Duration watchEvery, String... argv) throws Exception {
        return jobOnB(watchEvery, (job, node, uid, mode) -> {
            throw new IOException("not in this test");
        }, job -> new Placement.Choice("a", "home"), argv);
    }

    OnB jobOnB(Duration watchEvery, JobServer.Migrations moves, Placement placement, String... argv) throws Exception {
        LoopbackPeers peers = new LoopbackPeers("a", Map.of("b", NodeState.ALIVE, "c", NodeState.ALIVE));
        Path socket = dir.resolve("jobs.sock");
        Files.deleteIfExists(socket);
        JobServer home = new JobServer(socket, new JobTable("a", null, peers), moves, placement, clock, watchEvery);
        home.usersWhoLeaveHome((uid, gid) -> true); // these jobs are root's (the test runs as root), and are to run on b and c
        List<String> cmd = new ArrayList<>(List.of(mosrunBinary.toString()));
        cmd.addAll(List.of(argv));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("MOSVM_JOBS_SOCKET", socket.toString());
        Process caller = pb.start();
        caller.getOutputStream().close();

        PeerChannel link = peers.farEnds.poll(30, TimeUnit.SECONDS);
        PeerRequest start = PeerRequest.read(link.in);
        assertEquals(PeerRequest.Op.START, start.op());
        assertEquals(MessageType.STDIN_EOF, FrameCodec.read(link.in).type(), "the caller's input is closed");
        FrameCodec.write(link.out, MessageType.STDOUT, "running on b\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("running on b\n", new String(caller.getInputStream().readNBytes(13), StandardCharsets.UTF_8));
        return new OnB(peers, home, caller, link, start.spec());
    }

    static void signal(Process p, String sig) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid())).start().waitFor());
    }

    static String errOf(Process p) throws Exception {
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "mosrun ended");
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** The frames home still sent the runner before its link ended (cut, or closed); fails if it does not end. */
    static List<MessageType> framesUntilTheLinkEnds(PeerChannel link) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            List<MessageType> seen = new ArrayList<>();
            try {
                for (Frame f; (f = FrameCodec.read(link.in)) != null; ) seen.add(f.type());
            } catch (IOException e) {
                // cut
            }
            return seen;
        }).get(30, TimeUnit.SECONDS);
    }

    /** The caller ended with status 125 and the one line saying why, and b's link was cut with nothing more sent on it. */
    static void assertLost(OnB b, String why) throws Exception {
        String err = errOf(b.caller());
        assertEquals(125, b.caller().exitValue(), err);
        assertEquals("mosrun: job " + b.job() + " lost: its node b " + why + "; it had no checkpoint\n", err);
        assertEquals(List.of(), framesUntilTheLinkEnds(b.link()), "b's link is cut");
    }

    /** b begins moving the job: home holds the caller's frames and says so. */
    static void beginsMoving(OnB b) throws IOException {
        FrameCodec.write(b.link().out, Frame.empty(MessageType.HOLD));
        assertEquals(MessageType.HOLD_ACK, FrameCodec.read(b.link().in).type());
    }

    /** c, where the job moved, attaches to home; returns c's end of its link. */
    static PeerChannel attachesFromC(OnB b) throws IOException {
        PeerChannel[] ac = LoopbackChannels.pair(LoopbackChannels.keys("a", 5, List.of()), "a", LoopbackChannels.keys("c", 5, List.of()), "c");
        Thread attach = new Thread(() -> {
            try {
                b.home().table().attachFromRunner(PeerRequest.attach(b.spec()), ac[0]);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        attach.start();
        return ac[1];
    }

    /** c attaches, prints a line and ends the job with status 0: the caller prints the line and exits 0. */
    static void cRunsItToItsEnd(OnB b) throws Exception {
        PeerChannel c = attachesFromC(b);
        FrameCodec.write(c.out, MessageType.STDOUT, "on c\n".getBytes(StandardCharsets.UTF_8));
        FrameCodec.write(c.out, Frame.u32(MessageType.EXIT, 0));
        assertEquals(MessageType.EXIT_ACK, FrameCodec.read(c.in).type());
        String err = errOf(b.caller());
        assertEquals(0, b.caller().exitValue(), err);
        assertEquals("on c\n", new String(b.caller().getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aJobWhoseNodeTurnsDeadEndsItsCallersWaitWithOneLineAndStatus125() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            b.peers().states.put("b", NodeState.DEAD);
            assertLost(b, "stopped answering (DEAD at 12:34:56)");
        }
    }

    @Test
    void aLostJobsNodeComingBackIsToldItsCopyIsStaleAndNothingOfItReachesTheCaller() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            b.peers().states.put("b", NodeState.DEAD);
            assertLost(b, "stopped answering (DEAD at 12:34:56)");
            // b was only cut off: its copy runs on and reattaches once it reaches home again
            PeerChannel[] ab = LoopbackChannels.pair(LoopbackChannels.keys("a", 5, List.of()), "a", LoopbackChannels.keys("b", 5, List.of()), "b");
            CompletableFuture<Void> attach = CompletableFuture.runAsync(() -> {
                try {
                    b.home().table().attachFromRunner(PeerRequest.attach(b.spec()), ab[0]);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Frame f = FrameCodec.read(ab[1].in);
            assertEquals(MessageType.FENCED, f.type(), "the copy of a job that ended lost is stale");
            assertTrue(f.text().contains("the job ended lost with that node"), f.text());
            attach.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSignalEndsTheWaitAtOnceWhenTheJobsNodeIsKnownGone() throws Exception {
        try (OnB b = jobOnB(Duration.ofHours(1), "-r", "b", "sleep", "600")) { // home's own look never comes: the signal finds it
            b.peers().states.remove("b"); // removed from the pool
            signal(b.caller(), "INT");
            assertLost(b, "is no longer in the pool (gone at 12:34:56)"); // and the signal did not go into its link
        }
    }

    @Test
    void aNodeThatAnswersGetsTheCallersSignalAndItsStatusIsTheCallers() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            b.peers().states.put("b", NodeState.SUSPECT); // late gossip is not a lost node
            signal(b.caller(), "INT");
            Frame f = FrameCodec.read(b.link().in);
            assertEquals(MessageType.SIGNAL, f.type());
            assertEquals(2, f.u32());
            FrameCodec.write(b.link().out, Frame.u32(MessageType.EXIT, 130));
            String err = errOf(b.caller());
            assertEquals(130, b.caller().exitValue(), err);
            assertEquals("", err);
            assertEquals(MessageType.EXIT_ACK, FrameCodec.read(b.link().in).type());
        }
    }

    @Test
    void aJobCaughtMovingWhenItsNodeDiesRunsOnWhenItsNextNodeAttaches() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "-l", "sleep", "600")) {
            beginsMoving(b); // to c
            b.peers().states.put("b", NodeState.DEAD); // b dies after the commit, before its MOVED
            assertEquals(List.of(), framesUntilTheLinkEnds(b.link()), "b's link is cut, so c may relay");

            cRunsItToItsEnd(b);
        }
    }

    @Test
    void aJobCaughtMovingIsLostWhenNoNodeTakesItOverWithinTheGrace() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "-l", "sleep", "600")) {
            beginsMoving(b);
            b.peers().states.put("b", NodeState.DEAD);
            assertEquals(List.of(), framesUntilTheLinkEnds(b.link()), "seen gone: b's link is cut");
            assertTrue(b.caller().isAlive(), "within the grace the caller still waits");
            clock.advance(RunnerWatch.MOVE_GRACE);
            assertLost(b, "stopped answering (DEAD at 12:34:56) while the job was moving, and no node took it over");
        }
    }

    /**
     * b's link to home drops and stays down, as when b's agent restarts: waits for home to see
     * it down, then advances home's clock until home asks b whether it still has the job, and
     * answers as b's new agent would.
     */
    static void linkDrops(OnB b) throws Exception {
        b.link().close();
        HomeRecord home = b.home().table().home(b.job());
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); home.linked(); ) {
            assertTrue(System.nanoTime() < until, "home sees b's link down");
            Thread.onSpinWait();
        }
    }

    /** The next HAS home asks b, its clock advanced a second at a time until it does; b answers {@code has}. */
    void bAnswersHas(OnB b, boolean has) throws Exception {
        answersHas(b, "b", has ? Whereabouts.runs() : Whereabouts.absent());
    }

    /** The next HAS home asks, its clock advanced a second at a time until it does, goes to {@code node}, which answers {@code answer}. */
    void answersHas(OnB b, String node, Whereabouts answer) throws Exception {
        for (int i = 0; i < 120; i++) {
            PeerChannel asked = b.peers().farEnds.poll(200, TimeUnit.MILLISECONDS);
            if (asked == null) {
                clock.advance(Duration.ofSeconds(1));
                continue;
            }
            try (asked) {
                assertEquals(node, b.peers().nodeOf.get(asked), "the node home asks");
                PeerRequest req = PeerRequest.read(asked.in);
                assertEquals(PeerRequest.Op.HAS, req.op());
                assertEquals(b.job(), req.job());
                FrameCodec.write(asked.out, answer.frame());
            }
            return;
        }
        throw new AssertionError("home never asked " + node + " whether it has the job");
    }

    @Test
    void aJobWhoseNodesAgentRestartedEndsItsCallersWaitWithOneLineAndStatus125() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            linkDrops(b); // b's agent restarts: its link goes, b stays ALIVE, and its new agent reaped the job
            bAnswersHas(b, false);
            assertTrue(b.caller().isAlive(), "one no may be a job that exited while its link was down");
            bAnswersHas(b, false);
            String err = errOf(b.caller());
            assertEquals(125, b.caller().exitValue(), err);
            assertEquals("mosrun: job " + b.job() + " lost: the agent on b restarted and no longer has it; it had no checkpoint\n", err);
        }
    }

    @Test
    void aJobWhoseNodesAgentRestartedIsRecoveredFromItsCheckpointAtHome() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            FakeCheckpoints checkpoints = new FakeCheckpoints("a", 0).offer(b.job(), b.spec());
            b.home().table().checkpoints(checkpoints);
            linkDrops(b);
            bAnswersHas(b, false);
            bAnswersHas(b, false);
            String err = errOf(b.caller());
            assertEquals(125, b.caller().exitValue(), err);
            assertEquals("mosrun: job " + b.job() + " lost: the agent on b restarted and no longer has it; recovering it from checkpoint "
                    + b.job() + " failed: cannot restart from checkpoint " + b.job() + ": no CRIU in this test\n", err,
                    "home restored its latest checkpoint (which this test cannot run)");
        }
    }

    @Test
    void aJobItsRunnersDumpKilledEndsItsCallerAsLostNotWithTheSignal() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            String why = DumpDeath.reason(b.job(), "b", 128 + 5, "c", false);
            FrameCodec.writeText(b.link().out, MessageType.LOST, why);
            assertEquals(MessageType.EXIT_ACK, FrameCodec.read(b.link().in).type(), "home has it: b need not send it again");
            String err = errOf(b.caller());
            assertEquals(125, b.caller().exitValue(), err);
            assertEquals("mosrun: job " + b.job() + " lost: it died on b (SIGTRAP) while being dumped for its move to c, criu having failed"
                    + " inside it; it had no checkpoint\n", err);
        }
    }

    @Test
    void aJobItsRunnersDumpKilledIsRecoveredFromItsCheckpointAtHome() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            b.home().table().checkpoints(new FakeCheckpoints("a", 0).offer(b.job(), b.spec()));
            FrameCodec.writeText(b.link().out, MessageType.LOST, DumpDeath.reason(b.job(), "b", 128 + 9, Job.CHECKPOINT, true));
            assertEquals(MessageType.EXIT_ACK, FrameCodec.read(b.link().in).type());
            String err = errOf(b.caller());
            assertEquals(125, b.caller().exitValue(), err);
            assertEquals("mosrun: job " + b.job() + " lost: it died on b (SIGKILL) while being dumped for a checkpoint, criu having failed"
                    + " inside it; recovering it from checkpoint " + b.job() + " failed: cannot restart from checkpoint " + b.job()
                    + ": no CRIU in this test\n", err, "home restored its latest checkpoint (which this test cannot run)");
        }
    }

    @Test
    void aRecoveredJobRunsAtHomeThenMovesOnToTheBestLiveNode() throws Exception {
        CompletableFuture<String> movedTo = new CompletableFuture<>();
        try (OnB b = jobOnB(Duration.ofMillis(100), (job, node, uid, mode) -> {
            movedTo.complete(job + " to " + node);
            throw new IOException("the move itself is not in this test");
        }, job -> new Placement.Choice("c", "best node: c"), "-r", "b", "-l", "sleep", "600")) {
            Path cgroups = Files.createTempDirectory(dir, "cgroups");
            b.home().table().checkpoints(new FakeCheckpoints("a", 0).offerRestorable(b.job(), b.spec(), cgroups));
            linkDrops(b);
            bAnswersHas(b, false);
            bAnswersHas(b, false);
            try {
                assertEquals(b.job() + " to c", movedTo.get(30, TimeUnit.SECONDS), "home restored it, then asked for a move to the best node");
                Job job = b.home().table().running(b.job());
                assertTrue(job != null && job.launcher().isAlive(), "it runs at home meanwhile (and stays, as that move fails)");
                assertTrue(b.caller().isAlive(), "its caller waits on");
            } finally {
                for (Job j : b.home().table().jobs()) j.launcher().destroyForcibly();
            }
        }
    }

    @Test
    void aRunnerThatStillHasTheJobKeepsItWhileItsLinkIsDown() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "sleep", "600")) {
            linkDrops(b);
            bAnswersHas(b, false);
            bAnswersHas(b, true); // it had exited, say, and its status is on its way: the count starts over
            bAnswersHas(b, false);
            assertTrue(b.caller().isAlive(), "no two noes in a row");
        }
    }

    @Test
    void aMovedJobsSourceSayingNoBeforeItsTargetAttachesLosesNothing() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "-l", "sleep", "600")) {
            beginsMoving(b); // to c
            FrameCodec.write(b.link().out, Frame.empty(MessageType.MOVED));
            linkDrops(b); // b retired its copy
            bAnswersHas(b, false);
            bAnswersHas(b, false); // c is slow to attach
            clock.advance(RunnerWatch.MOVE_GRACE.minusSeconds(1));
            assertTrue(b.caller().isAlive(), "within the grace the caller still waits");

            PeerChannel c = attachesFromC(b);
            FrameCodec.write(c.out, MessageType.STDOUT, "on c\n".getBytes(StandardCharsets.UTF_8));
            clock.advance(RunnerWatch.MOVE_GRACE);
            FrameCodec.write(c.out, Frame.u32(MessageType.EXIT, 0));
            assertEquals(MessageType.EXIT_ACK, FrameCodec.read(c.in).type());
            String err = errOf(b.caller());
            assertEquals(0, b.caller().exitValue(), err);
            assertEquals("on c\n", new String(b.caller().getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aJobWhoseSourceSaysItLeftForCWhileItsLinkWasDownIsNotLostAndRunsOnWhenCAttaches() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "-l", "sleep", "600")) {
            linkDrops(b); // b's link drops before it moves the job to c: home never hears its HOLD
            int epoch = b.spec().epoch();
            answersHas(b, "b", Whereabouts.moving("c", epoch));
            answersHas(b, "b", Whereabouts.left("c", epoch)); // where b alone would have said "no"
            answersHas(b, "c", Whereabouts.runs()); // home follows the job to c, whose link is not up yet either
            answersHas(b, "c", Whereabouts.runs());
            assertTrue(b.caller().isAlive(), "the job is not lost: it runs on c");

            cRunsItToItsEnd(b);
        }
    }

    @Test
    void aJobWhoseSourceSaysItLeftForCIsLostWhenCDisownsItInTurn() throws Exception {
        try (OnB b = jobOnB(Duration.ofMillis(100), "-r", "b", "-l", "sleep", "600")) {
            linkDrops(b);
            answersHas(b, "b", Whereabouts.left("c", b.spec().epoch()));
            answersHas(b, "c", Whereabouts.absent());
            answersHas(b, "c", Whereabouts.absent());
            int waited = 0;
            for (; waited < 60 && !b.caller().waitFor(300, TimeUnit.MILLISECONDS); waited++) clock.advance(Duration.ofSeconds(1));
            assertTrue(waited >= RunnerWatch.MOVE_GRACE.toSeconds() - 1, "c, a moving job's next node, had the grace to attach: " + waited + " s");
            String err = errOf(b.caller());
            assertEquals(125, b.caller().exitValue(), err);
            assertEquals("mosrun: job " + b.job() + " lost: b said it moved to c, and c does not have it; it had no checkpoint\n", err);
        }
    }

    @Test
    void anAgentThatReadsNothingCannotKeepTheCallerPastASecondCtrlC() throws Exception {
        Path socket = dir.resolve("deaf.sock");
        Files.deleteIfExists(socket);
        try (ServerSocketChannel deaf = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            deaf.bind(UnixDomainSocketAddress.of(socket));
            ProcessBuilder pb = new ProcessBuilder(mosrunBinary.toString(), "sleep", "600");
            pb.environment().put("MOSVM_JOBS_SOCKET", socket.toString());
            Process caller = pb.start();
            try (SocketChannel agent = deaf.accept()) {
                InputStream request = Channels.newInputStream(agent);
                while (request.read() != '\n') {
                    // the request line; after it, this agent reads nothing more
                }
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(agent)));
                FrameCodec.write(out, Frame.text(MessageType.STARTED, "a.9"));
                FrameCodec.write(out, MessageType.STDOUT, "ready\n".getBytes(StandardCharsets.UTF_8));
                assertEquals("ready\n", new String(caller.getInputStream().readNBytes(6), StandardCharsets.UTF_8), "mosrun waits in its loop");
                signal(caller, "INT");
                signal(caller, "INT");
                String err = errOf(caller);
                assertEquals(130, caller.exitValue(), "128 + SIGINT: " + err);
                assertEquals("mosrun: stopped waiting for job a.9: the agent has not taken the signal before this one\n", err);
            }
        } finally {
            Files.deleteIfExists(socket);
        }
    }
}
