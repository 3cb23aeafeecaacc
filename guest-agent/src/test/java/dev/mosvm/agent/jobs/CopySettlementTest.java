package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.CopyArbiter.Verdict;
import dev.mosvm.agent.jobs.CopyLedger.Arrival;
import dev.mosvm.agent.jobs.CopyLedger.Copy;
import dev.mosvm.agent.net.LoopbackChannels;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.api.NodeState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Home settles which copy of a job runs after a move (from s to t) whose commit went unanswered:
 * t has the job if its copy reached home first, else t's copy is fenced (stopped, nothing of it
 * reaching the caller) and s's runs on. Home a, its caller's stream read back as the user sees it.
 */
class CopySettlementTest {
    static final MigrationRecord FIRST_MOVE = new MigrationRecord("a", "s", "2026-12-04T10:00:00Z", 1, 100, 900, 1 << 20, "balanced",
            "s is faster", 3.0, "sealed");
    /** The job as s sent it to t: it came to s by one move. */
    static final JobSpec SPEC = JobSpec.fresh("a.1", "a", 0, 0, List.of("x"), "2026-12-04T09:00:00Z", false, false, "placed", "s")
            .movedBy(FIRST_MOVE);

    final LoopbackPeers peers = new LoopbackPeers("a", Map.of("s", NodeState.ALIVE, "t", NodeState.ALIVE));
    final JobTable table = new JobTable("a", null, peers);
    final ByteArrayOutputStream caller = new ByteArrayOutputStream();
    final HomeRecord home = new HomeRecord(SPEC, new DataOutputStream(caller), "s");

    CopySettlementTest() {
        table.addHome(home);
    }

    /** What the caller got: the text of its output frames, in order. */
    String callerSaw() {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(caller.toByteArray()));
        StringBuilder b = new StringBuilder();
        try {
            for (Frame f; (f = FrameCodec.read(in)) != null; ) b.append(new String(f.payload(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            // a frame being written: the caller has what came before it
        }
        return b.toString();
    }

    /** A copy of the job on {@code node} attaching to home: the runner's end of its link, home serving the other end meanwhile. */
    record Attached(PeerChannel runner, CompletableFuture<Void> served) {}

    Attached attach(String node, JobSpec spec) throws IOException {
        return attachTo(table, node, spec);
    }

    /** A copy of the job on {@code node} attaching to home a ({@code table}) over a real channel. */
    static Attached attachTo(JobTable table, String node, JobSpec spec) throws IOException {
        PeerChannel[] ends = LoopbackChannels.pair(LoopbackChannels.keys("a", 5, List.of()), "a", LoopbackChannels.keys(node, 5, List.of()), node);
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            try (PeerChannel homeEnd = ends[0]) {
                table.attachFromRunner(PeerRequest.attach(spec), homeEnd);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        return new Attached(ends[1], served);
    }

    /** Output the runner on the other end sends; returns once the caller has it (the copy relays). */
    void relays(Attached a, String text) throws Exception {
        FrameCodec.write(a.runner().out, MessageType.STDOUT, text.getBytes(StandardCharsets.UTF_8));
        for (long end = System.currentTimeMillis() + 30_000; !callerSaw().endsWith(text); ) {
            assertTrue(System.currentTimeMillis() < end, "the caller never got " + text);
            Thread.sleep(5); // home relays on its own thread
        }
    }

    /** The runner tries to say something and to end the job; home answers FENCED and relays none of it. */
    void isFenced(Attached a) throws Exception {
        Frame f = CompletableFuture.supplyAsync(() -> read(a.runner())).get(30, TimeUnit.SECONDS);
        assertEquals(MessageType.FENCED, f.type());
        assertTrue(f.text().contains("its move's commit went unanswered"), f.text());
        try {
            FrameCodec.write(a.runner().out, MessageType.STDOUT, "printed by the fenced copy\n".getBytes(StandardCharsets.UTF_8));
            FrameCodec.write(a.runner().out, Frame.u32(MessageType.EXIT, 0));
        } catch (IOException e) {
            // home hung up already
        }
        a.served().get(30, TimeUnit.SECONDS);
        assertEquals("", callerSaw(), "nothing the fenced copy printed reaches the caller");
        assertFalse(home.exit.isDone(), "its exit is not the job's");
    }

    static Frame read(PeerChannel ch) {
        try {
            return FrameCodec.read(ch.in);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aTargetWhoseCopyAttachedFirstHasTheJob() throws Exception {
        Attached t = attach("t", SPEC); // s's link is down (the partition): t relays at once
        relays(t, "on t\n");
        assertEquals(new CopyLedger.Settlement(Verdict.TARGET_HAS_IT, 0), table.settle(SPEC, "t", "s"));
        relays(t, "still on t\n");
        assertEquals("on t\nstill on t\n", callerSaw());
    }

    @Test
    void aCopyThatAttachesAfterTheSettlementIsFencedAndNeverRelayed() throws Exception {
        assertEquals(new CopyLedger.Settlement(Verdict.SOURCE_RESUMES, 1), table.settle(SPEC, "t", "s"));
        assertEquals(1, home.epoch(), "s's copy is the job at a new epoch");
        isFenced(attach("t", SPEC));
    }

    @Test
    void theVerdictIsTheSameEachTimeItIsAsked() throws Exception {
        CopyLedger.Settlement first = table.settle(SPEC, "t", "s");
        isFenced(attach("t", SPEC));
        assertEquals(first, table.settle(SPEC, "t", "s"), "the fenced copy's attach changed nothing");
        assertEquals(1, home.epoch(), "raised once");

        HomeRecord other = new HomeRecord(SPEC.checkpointed(0, 3).withEpoch(0), new DataOutputStream(new ByteArrayOutputStream()), "s");
        assertEquals(Arrival.ADMITTED, other.copies.arrive(Copy.of("t", SPEC)));
        CopyLedger.Settlement had = other.copies.settle(Copy.of("t", SPEC), "s");
        assertEquals(Verdict.TARGET_HAS_IT, had.verdict());
        assertEquals(had, other.copies.settle(Copy.of("t", SPEC), "s"));
    }

    @Test
    void aJobThatEndedOnTheTargetIsTheTargetsEvenAfterItsCallerWent() throws Exception {
        Attached t = attach("t", SPEC);
        relays(t, "done on t\n");
        FrameCodec.write(t.runner().out, Frame.u32(MessageType.EXIT, 0));
        assertEquals(MessageType.EXIT_ACK, FrameCodec.read(t.runner().in).type());
        assertEquals(0, home.exit.get(30, TimeUnit.SECONDS));
        table.removeHome(SPEC.id()); // the caller had its last frame
        assertEquals(Verdict.TARGET_HAS_IT, table.settle(SPEC, "t", "s").verdict(), "not run a second time on s");
    }

    @Test
    void theSourceKeepsTheJobAndMayLaterMoveItToTheSameTarget() throws Exception {
        CopyLedger.Settlement s = table.settle(SPEC, "t", "s");
        Attached again = attach("s", SPEC); // s's link reattaches before s heard the new epoch: its copy is the job
        relays(again, "on s\n");
        again.runner().close();
        again.served().get(30, TimeUnit.SECONDS);

        // a later move of the renewed copy to t: that copy is the job (t's fenced one, of the old epoch, still is not)
        JobSpec renewed = SPEC.withEpoch(s.epoch());
        MigrationRecord laterMove = new MigrationRecord("s", "t", "2026-12-04T11:00:00Z", 1, 100, 900, 1 << 20, "balanced", "t", 4.0, "sealed");
        Attached later = attach("t", renewed.movedBy(laterMove));
        relays(later, "on t at last\n");
        assertEquals(Arrival.SETTLED_AWAY, home.copies.arrive(Copy.of("t", SPEC)));
    }

    @Test
    void aJobHomeDoesNotKnowIsSettledForTheSourceAndStaysSo() throws Exception {
        JobSpec unknown = SPEC.checkpointed(0, 3);
        JobSpec other = new JobSpec("a.9", "a", 0, 0, unknown.argv(), unknown.started(), false, unknown.migrations(), false, "placed", "s", 0, 0, 3, 2);
        assertEquals(new CopyLedger.Settlement(Verdict.SOURCE_RESUMES, 3), table.settle(other, "t", "s"));
        Attached t = attach("t", other);
        assertEquals(MessageType.FENCED, FrameCodec.read(t.runner().in).type(), "t's copy of it is stopped, not left to run as an orphan too");
        t.served().get(30, TimeUnit.SECONDS);
        assertEquals(new CopyLedger.Settlement(Verdict.SOURCE_RESUMES, 3), table.settle(other, "t", "s"));
    }

    @Test
    void theSourcesCopyOfAJobHomeDidNotKnowIsTakenOnWhenItAttaches(@org.junit.jupiter.api.io.TempDir java.nio.file.Path output) throws Exception {
        table.deliverCallerlessTo(output, 0); // its caller went with the agent that ran before: its output goes to files
        JobSpec unknown = SPEC.checkpointed(0, 3);
        JobSpec other = new JobSpec("a.9", "a", 0, 0, unknown.argv(), unknown.started(), false, unknown.migrations(), false, "placed", "s", 0, 0, 3, 2);
        CopyLedger.Settlement s = table.settle(other, "t", "s");
        assertEquals(Verdict.SOURCE_RESUMES, s.verdict());

        Attached source = attach("s", other.withEpoch(s.epoch())); // resumed on home's word, it reattaches
        FrameCodec.write(source.runner().out, MessageType.STDOUT, "on s after all\n".getBytes(StandardCharsets.UTF_8));
        FrameCodec.write(source.runner().out, Frame.u32(MessageType.EXIT, 3));
        Frame answer = FrameCodec.read(source.runner().in);
        assertEquals(MessageType.EXIT_ACK, answer.type(), "taken on, not refused: " + (answer.type() == MessageType.ERROR ? answer.text() : answer.type()));
        source.served().get(30, TimeUnit.SECONDS);
        java.nio.file.Path files = output.resolve("0");
        assertEquals("on s after all\n", java.nio.file.Files.readString(files.resolve("a.9.out")), "its output reaches its owner");
        assertEquals("3\n", java.nio.file.Files.readString(files.resolve("a.9.status")), "and its status");

        Attached t = attach("t", other);
        assertEquals(MessageType.FENCED, FrameCodec.read(t.runner().in).type(), "the target's copy stays fenced");
        t.served().get(30, TimeUnit.SECONDS);
    }

    @Test
    void homeAsTheTargetHasTheJobOnlyIfItArrivedFirst() throws Exception {
        table.settle(SPEC, "a", "s");
        IOException refused = assertThrows(IOException.class, () -> table.sinkFor(SPEC), "the restored copy at home is not resumed");
        assertTrue(refused.getMessage().contains("fenced"), refused.getMessage());

        HomeRecord second = new HomeRecord(SPEC.withEpoch(5), new DataOutputStream(new ByteArrayOutputStream()), "s");
        table.removeHome(SPEC.id());
        table.addHome(second);
        JobSpec arriving = SPEC.withEpoch(5);
        table.sinkFor(arriving);
        assertEquals(Verdict.TARGET_HAS_IT, table.settle(arriving, "a", "s").verdict());
    }

    @Test
    void aSettlementAndTheTargetsArrivalNeverBothWin() throws Exception {
        for (int i = 0; i < 2000; i++) {
            HomeRecord h = new HomeRecord(SPEC, new DataOutputStream(new ByteArrayOutputStream()), "s");
            table.addHome(h);
            CyclicBarrier start = new CyclicBarrier(2);
            CompletableFuture<Arrival> arrival = CompletableFuture.supplyAsync(() -> {
                await(start);
                return h.copies.arrive(Copy.of("t", SPEC));
            });
            await(start);
            Verdict v = table.settle(SPEC, "t", "s").verdict();
            Arrival a = arrival.get(30, TimeUnit.SECONDS);
            assertEquals(v == Verdict.TARGET_HAS_IT, a == Arrival.ADMITTED, "round " + i + ": " + v + " and " + a);
            assertEquals(v, table.settle(SPEC, "t", "s").verdict());
        }
    }

    @Test
    void aSettlementRacingARealAttachLeavesExactlyOneCopyRelaying() throws Exception {
        for (int i = 0; i < 40; i++) {
            ByteArrayOutputStream saw = new ByteArrayOutputStream();
            HomeRecord h = new HomeRecord(SPEC, new DataOutputStream(saw), "s");
            table.addHome(h);
            Attached t = attach("t", SPEC);
            Verdict v = table.settle(SPEC, "t", "s").verdict();
            if (v == Verdict.TARGET_HAS_IT) FrameCodec.write(t.runner().out, Frame.u32(MessageType.EXIT, 7)); // else home hangs up on it
            Frame answer = CompletableFuture.supplyAsync(() -> read(t.runner())).get(30, TimeUnit.SECONDS);
            t.served().get(30, TimeUnit.SECONDS);
            t.runner().close();
            if (v == Verdict.TARGET_HAS_IT) {
                assertEquals(MessageType.EXIT_ACK, answer.type(), "round " + i);
                assertEquals(7, h.exit.get(30, TimeUnit.SECONDS));
            } else {
                assertEquals(MessageType.FENCED, answer.type(), "round " + i);
                assertFalse(h.exit.isDone(), "round " + i);
            }
        }
    }

    @Test
    void aRecoveryAfterASettlementMakesTheSourcesOldEpochStaleToo() {
        home.copies.settle(Copy.of("t", SPEC), "s");
        assertEquals(Arrival.ADMITTED, home.copies.arrive(Copy.of("s", SPEC)), "s not yet renewed: its copy is the job");
        assertEquals(2, home.copies.nextEpoch(0)); // s was declared gone after all, and home brought the job back
        assertEquals(Arrival.STALE, home.copies.arrive(Copy.of("s", SPEC)));
        assertEquals(Arrival.STALE, home.copies.arrive(Copy.of("s", SPEC.withEpoch(1))));
        assertEquals(Arrival.ADMITTED, home.copies.arrive(Copy.of("a", SPEC.withEpoch(2))));
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
