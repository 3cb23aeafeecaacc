package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The caller sees a moving job's output in order: one node relays at a time. */
class HomeRecordTest {
    final ByteArrayOutputStream caller = new ByteArrayOutputStream();
    final HomeRecord home = new HomeRecord(JobSpec.fresh("a.1", "a", 0, 0, List.of("x"), "2026-01-01T00:00:00Z", false, false, "home", null),
            new DataOutputStream(caller), "a");

    static final CopyLedger.Copy HOME_COPY = new CopyLedger.Copy("a", 0, 1);
    static final CopyLedger.Copy B = new CopyLedger.Copy("b", 0, 0);

    String callerSaw() throws Exception {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(caller.toByteArray()));
        StringBuilder b = new StringBuilder();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) if (f.type() != MessageType.POSITION) b.append(new String(f.payload(), StandardCharsets.UTF_8));
        return b.toString();
    }

    /** The POSITIONs the caller was told, as "out,err". */
    List<String> positionsTold() throws Exception {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(caller.toByteArray()));
        List<String> told = new java.util.ArrayList<>();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            if (f.type() == MessageType.POSITION) {
                dev.mosvm.agent.wire.OutputPosition p = dev.mosvm.agent.wire.OutputPosition.of(f);
                told.add(p.out() + "," + p.err());
            }
        }
        return told;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aJobComingHomeWaitsForTheNodeItLeftToFinishRelaying() throws Exception {
        assertTrue(home.takeRelay("b", null, 0), "b relays while the job runs there");
        JobSink back = home.arrivingHome("a", HOME_COPY);
        CompletableFuture<Void> fromHome = CompletableFuture.runAsync(() -> {
            try {
                back.output(MessageType.STDOUT, bytes("after"), 5); // the job resumed at home and writes at once
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(fromHome.isDone(), "home's new output waits while b still relays");
        home.output(MessageType.STDOUT, bytes("before|"), 7); // what b still had
        home.releaseRelay(); // b's stream ended (MOVED)
        fromHome.get(5, TimeUnit.SECONDS);
        assertEquals("before|after", callerSaw());
        assertEquals("a", home.where());
    }

    @Test
    void aMoveHomeDroppedAfterTheSourceStoppedRelayingLeavesTheRelayToTheSourcesNextLink() throws Exception {
        assertTrue(home.takeRelay("b", null, 0), "b relays while the job runs there");
        home.hold(); // b begins moving the job home
        JobSink back = home.arrivingHome("a", HOME_COPY);
        home.releaseRelay(); // b's link dropped in the move: the copy on its way home takes the relay
        for (long end = System.currentTimeMillis() + 5_000; !home.where().equals("a") && System.currentTimeMillis() < end; ) Thread.sleep(20);
        assertEquals("a", home.where(), "the copy on its way home took the relay");
        back.abandon(); // and the move is dropped: that copy never runs
        assertEquals("b", home.where(), "the job runs on where it was");
        assertTrue(home.takeRelay("b", null, 1000), "b's next link relays");
        home.output(MessageType.STDOUT, bytes("on at b"), 7);
        assertThrows(java.io.IOException.class, () -> back.output(MessageType.STDOUT, bytes("x"), 1), "the dropped copy's output goes nowhere");
        back.exited(0);
        assertFalse(home.exit.isDone(), "nor does its end");
        assertEquals("on at b", callerSaw());
    }

    @Test
    void aMoveHomeDroppedWhileTheSourceStillRelaysNeverTakesTheRelay() throws Exception {
        assertTrue(home.takeRelay("b", null, 0));
        home.hold();
        JobSink back = home.arrivingHome("a", HOME_COPY);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try {
                back.output(MessageType.STDOUT, bytes("never"), 5); // the dropped copy's pumps, before it is killed
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        back.abandon();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> write.get(5, TimeUnit.SECONDS),
                "the dropped copy's output fails at once instead of waiting 600 s for the relay");
        assertTrue(failed.getMessage().contains("dropped"), failed.getMessage());
        home.releaseRelay(); // b's old link ends
        assertTrue(home.takeRelay("b", null, 1000), "b attaches again");
        assertEquals("b", home.where());
        assertEquals("", callerSaw(), "nothing of the dropped copy reached the caller");
    }

    @Test
    void aMoveHomeDroppedIsNoLongerTheCopyASettlementFindsArrived() {
        home.copies.arrive(HOME_COPY); // what sinkFor records as the copy is registered at home
        JobSink back = home.arrivingHome("a", HOME_COPY);
        back.abandon();
        assertEquals(CopyArbiter.Verdict.SOURCE_RESUMES, home.copies.settle(HOME_COPY, "b").verdict(),
                "b, asking whether home has the job, resumes its own copy");
    }

    /** A link to home, as the relay loop uses it: closing it makes the loop end its relay. */
    final class Link implements java.io.Closeable {
        HomeRecord.Relay relay;
        volatile boolean closed;

        @Override
        public void close() {
            closed = true;
            if (relay != null) home.endRelay(relay); // what JobServer.relay's read loop does when its link fails
        }
    }

    HomeRecord.Relay attach(Link l, CopyLedger.Copy copy, long drainMillis, long waitMillis) throws InterruptedException {
        HomeRecord.Relay r = JobServer.takeRelayFrom(home, copy.node(), copy, null, l, drainMillis, waitMillis);
        l.relay = r;
        return r;
    }

    @Test
    @Timeout(30)
    void aCopyAttachingAgainTakesTheRelayFromItsOlderLinkThatHomeStillReads() throws Exception {
        Link older = new Link(); // its packets were dropped: home's read of it never ends until it is cut
        assertNotNull(attach(older, B, 100, 1000));
        CompletableFuture<Boolean> homeCopy = CompletableFuture.supplyAsync(() -> {
            try { // a copy of the job coming home meanwhile waits for the relay too
                return home.takeRelay("a", null, 3000);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        Link newer = new Link();
        assertNotNull(attach(newer, B, 100, 10_000), "b's new link relays");
        assertTrue(older.closed, "after its older link was cut");
        assertTrue(home.linked());
        assertFalse(homeCopy.get(5, TimeUnit.SECONDS), "the relay passed straight from the older link to the newer, to no one else");
    }

    @Test
    @Timeout(30)
    void anOlderLinkStillWaitingNeverCutsTheNewerOneThatRelays() throws Exception {
        Link newer = new Link();
        long olderSeq = home.attachSequence(); // the older link reached home first, then waited
        assertNotNull(attach(newer, B, 100, 1000));
        HomeRecord.Relay r = home.takeOver("b", B, null, new Link(), 100, olderSeq);
        assertEquals(null, r);
        assertFalse(newer.closed);
    }

    @Test
    @Timeout(30)
    void anotherCopysLinkIsWaitedForAndNeverCut() throws Exception {
        Link oldCopy = new Link(); // the job's earlier copy on b, still relaying what it had before it moved on
        assertNotNull(attach(oldCopy, B, 100, 1000));
        CopyLedger.Copy later = new CopyLedger.Copy("b", 0, 2); // the job back on b after a move away and back
        CompletableFuture<HomeRecord.Relay> next = CompletableFuture.supplyAsync(() -> {
            try {
                return attach(new Link(), later, 100, 10_000);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(500);
        assertFalse(next.isDone(), "the later copy waits for the earlier one's output to end");
        assertFalse(oldCopy.closed, "the earlier copy's link is not the later one's to cut");
        oldCopy.close(); // its stream ended (MOVED)
        assertNotNull(next.get(5, TimeUnit.SECONDS));
    }

    @Test
    void callerInputGoesToTheNodeThatRelaysNowAndWaitsBetweenNodes() throws Exception {
        ByteArrayOutputStream toB = new ByteArrayOutputStream();
        ByteArrayOutputStream toC = new ByteArrayOutputStream();
        assertTrue(home.takeRelay("b", new DataOutputStream(toB), 0));
        assertTrue(home.toRunner(MessageType.STDIN, bytes("one")));
        home.releaseRelay(); // the job left b
        assertFalse(home.toRunner(MessageType.STDIN, bytes("two")), "no node to take it: the caller's side holds it and tries again");
        assertTrue(home.takeRelay("c", new DataOutputStream(toC), 0));
        assertTrue(home.toRunner(MessageType.STDIN, bytes("two")));
        assertEquals("one", new String(FrameCodec.read(new DataInputStream(new ByteArrayInputStream(toB.toByteArray()))).payload(), StandardCharsets.UTF_8));
        assertEquals("two", new String(FrameCodec.read(new DataInputStream(new ByteArrayInputStream(toC.toByteArray()))).payload(), StandardCharsets.UTF_8));
    }

    @Test
    void aRunnerThatHoldsForAMoveGetsAnAckBehindTheLastFrameAndNothingAfter() throws Exception {
        ByteArrayOutputStream toB = new ByteArrayOutputStream();
        ByteArrayOutputStream toC = new ByteArrayOutputStream();
        assertTrue(home.takeRelay("b", new DataOutputStream(toB), 0));
        assertTrue(home.toRunner(MessageType.STDIN, bytes("one")));
        home.hold(); // b begins moving the job
        assertTrue(home.moving());
        assertFalse(home.toRunner(MessageType.STDIN, bytes("two")), "kept at home while the job moves");
        DataInputStream b = new DataInputStream(new ByteArrayInputStream(toB.toByteArray()));
        assertEquals("one", new String(FrameCodec.read(b).payload(), StandardCharsets.UTF_8));
        assertEquals(MessageType.HOLD_ACK, FrameCodec.read(b).type(), "b carries everything before the ACK along");
        assertEquals(null, FrameCodec.read(b), "and gets nothing after it");
        home.releaseRelay(); // b's copy is retired (MOVED)
        assertTrue(home.takeRelay("c", new DataOutputStream(toC), 0));
        assertFalse(home.moving());
        assertTrue(home.toRunner(MessageType.STDIN, bytes("two")), "what waited goes to the job's next node");
    }

    @Test
    void aMoveThatFailsGivesTheRunnerItsInputBack() throws Exception {
        ByteArrayOutputStream toB = new ByteArrayOutputStream();
        DataOutputStream b = new DataOutputStream(toB);
        assertTrue(home.takeRelay("b", b, 0));
        home.hold();
        home.resumeControl(b); // the job runs on at b
        assertFalse(home.moving());
        assertTrue(home.toRunner(MessageType.STDIN, bytes("three")));
    }

    @Test
    void aSecondNodeCannotRelayUntilTheFirstIsDone() throws Exception {
        assertTrue(home.takeRelay("b", null, 0));
        assertFalse(home.takeRelay("c", null, 100), "c waits for b");
        home.moved();
        assertTrue(home.takeRelay("c", null, 100));
        assertEquals("c", home.where());
    }

    @Test
    void theExitStatusReachesTheCaller() throws Exception {
        home.exited(3);
        assertEquals(3, home.exit.get(1, TimeUnit.SECONDS));
    }

    /** Stdout and stderr as the caller saw them, in frame order, tagged. */
    String callerSawTagged() throws Exception {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(caller.toByteArray()));
        StringBuilder b = new StringBuilder();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            if (f.type() == MessageType.POSITION) continue;
            b.append(f.type() == MessageType.STDERR ? "E:" : "O:").append(new String(f.payload(), StandardCharsets.UTF_8)).append('|');
        }
        return b.toString();
    }

    @Test
    void aJobRecoveredFromACheckpointWritesAgainWhatTheCallerHadAndNoneOfItIsPrintedTwice() throws Exception {
        home.output(MessageType.STDOUT, bytes("0123"), 4);
        home.output(MessageType.STDERR, bytes("ab"), 2);
        home.output(MessageType.STDOUT, bytes("4567"), 4); // the checkpoint was taken after "012", "a"
        long[] gap = home.continueFrom(3, 1);
        assertEquals(0, gap[0] + gap[1], "everything before the checkpoint had arrived");
        // the restored copy runs again from the checkpoint: "34567" and "b" again, then new output
        home.output(MessageType.STDOUT, bytes("34"), 2);
        home.output(MessageType.STDOUT, bytes("567"), 3);
        home.output(MessageType.STDOUT, bytes("89"), 2); // "34567" the caller had, "89" is new
        home.output(MessageType.STDERR, bytes("bc"), 2);
        assertEquals("O:0123|E:ab|O:4567|O:89|E:c|", callerSawTagged());
    }

    @Test
    void outputStillOnItsWayWhenTheNodeDiedIsReportedAsAGap() throws Exception {
        home.output(MessageType.STDOUT, bytes("01"), 2);
        long[] gap = home.continueFrom(5, 0); // the checkpoint counted 5 bytes; 3 never arrived
        assertEquals(3, gap[0]);
        assertEquals(0, gap[1]);
        home.output(MessageType.STDOUT, bytes("56"), 2);
        assertEquals("O:01|O:56|", callerSawTagged());
        assertEquals(List.of("5,0"), positionsTold(), "the caller hears its stream jumped: it reattaches with the job's counts");
    }

    @Test
    void aSecondRecoveryAfterAPartlySkippedResendPrintsNothingTwice() throws Exception {
        home.output(MessageType.STDOUT, bytes("0123456789"), 10);
        home.continueFrom(3, 0); // restored: writes "3456789" again
        home.output(MessageType.STDOUT, bytes("3456789AB"), 9); // "AB" is new: the caller has 12 bytes
        home.continueFrom(8, 0); // restored again from a checkpoint at byte 8
        home.output(MessageType.STDOUT, bytes("89ABCD"), 6);
        assertEquals("0123456789ABCD", callerSaw());
    }

    @Test
    void aGapIsSteppedOverSoTheNextResendIsMeasuredFromWhereTheStreamStands() throws Exception {
        home.output(MessageType.STDOUT, bytes("01"), 2);
        assertEquals(3, home.continueFrom(5, 0)[0]); // "234" never came
        home.output(MessageType.STDOUT, bytes("567"), 3);
        assertEquals(0, home.continueFrom(6, 0)[0], "the runner sends again from byte 6");
        home.output(MessageType.STDOUT, bytes("6789"), 4);
        assertEquals("0156789", callerSaw());
    }

    /**
     * Whatever the runner sends again, from any earlier point of the stream, the caller sees the
     * job's output once, in order; and positions past what it had leave exactly those bytes out.
     */
    @Property(tries = 300)
    void resentOutputIsPassedOnOnceAndGapsOnlyLeaveOutWhatNeverCame(@ForAll("resends") List<int[]> steps) throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        HomeRecord h = new HomeRecord(home.spec, new DataOutputStream(sink), "a");
        String text = "the quick brown fox jumps over the lazy dog, again and again and again".repeat(3);
        StringBuilder expected = new StringBuilder();
        int pos = 0; // where the runner's next chunk begins
        int had = 0;
        for (int[] step : steps) { // {resume at (0: no), a jump forward (a gap), chunk length}
            if (step[0] > 0) {
                pos = Math.max(0, had - step[0] + step[1]);
                pos = Math.min(pos, text.length());
                h.continueFrom(pos, 0);
            }
            int n = Math.min(step[2], text.length() - pos);
            if (n <= 0) continue;
            h.output(MessageType.STDOUT, bytes(text.substring(pos, pos + n)), n);
            if (pos + n > had) {
                expected.append(text, Math.max(pos, had), pos + n);
                had = pos + n;
            }
            pos += n;
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(sink.toByteArray()));
        StringBuilder saw = new StringBuilder();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) if (f.type() == MessageType.STDOUT) saw.append(new String(f.payload(), StandardCharsets.UTF_8));
        assertEquals(expected.toString(), saw.toString());
    }

    @Provide
    Arbitrary<List<int[]>> resends() {
        Arbitrary<int[]> step = Combinators.combine(
                Arbitraries.integers().between(0, 40).map(back -> back % 3 == 0 ? back : 0),
                Arbitraries.integers().between(0, 6).map(gap -> gap > 4 ? gap : 0),
                Arbitraries.integers().between(1, 30)).as((back, gap, len) -> new int[] {back, gap, len});
        return step.list().ofMaxSize(25);
    }

    @Test
    void aReattachWhoseFirstWriteFailsLeavesTheRecordWaitingForTheNextCaller() throws Exception {
        HomeRecord waiting = HomeRecord.awaitingCaller(home.spec, "a", () -> new DataOutputStream(new ByteArrayOutputStream()), 30_000);
        waiting.startsAt(6, 0, (o, upTo) -> { // the previous agent read "first\n" and never passed it on
            FrameCodec.write(o, new dev.mosvm.agent.wire.OutputPosition(0, 0).frame());
            FrameCodec.write(o, MessageType.STDOUT, bytes("first\n"));
        });
        DataOutputStream gone = new DataOutputStream(new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("broken pipe");
            }
        });
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> waiting.reattach(gone, 0, 0));
        assertTrue(waiting.waitsForCaller(), "still waiting");
        ByteArrayOutputStream next = new ByteArrayOutputStream();
        assertTrue(waiting.reattach(new DataOutputStream(next), 0, 0));
        waiting.output(MessageType.STDOUT, bytes("second\n"), 7);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(next.toByteArray()));
        StringBuilder b = new StringBuilder();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) b.append(new String(f.payload(), StandardCharsets.UTF_8));
        assertEquals("first\nsecond\n", b.toString());
    }

    @Test
    void aJobBackHomeGoesOnFromWhereItsSourceSaidItsOutputStoodNotWhereTheSourcesLinkLeftIt() throws Exception {
        assertTrue(home.takeRelay("b", null, 0));
        home.output(MessageType.STDOUT, bytes("0123"), 4); // b's link then broke with "45" on its way
        JobSink back = home.arrivingHome("a", HOME_COPY);
        back.startsAt(6, 0, null); // COMMIT said the job had written 6 bytes
        home.releaseRelay();
        back.output(MessageType.STDOUT, bytes("67"), 2);
        assertEquals("012367", callerSaw());
        assertEquals(List.of("6,0"), positionsTold(), "the caller hears its stream jumped past what never came");
    }

    @Test
    void aCallerBehindTheRunnersPositionHearsItsStreamJumped() throws Exception {
        HomeRecord waiting = HomeRecord.awaitingCaller(home.spec, "b", () -> new DataOutputStream(new ByteArrayOutputStream()), 30_000);
        waiting.continueFrom(10, 0); // the runner's tail begins at byte 10
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertTrue(waiting.reattach(new DataOutputStream(back), 4, 0)); // the caller had 4
        waiting.output(MessageType.STDOUT, bytes("AB"), 2);
        List<String> frames = framesIn(back);
        assertEquals(List.of("@10", "AB"), frames);
    }

    @Test
    void aCallerBehindThePreviousAgentsTailHearsItsStreamJumpedBeforeTheTail() throws Exception {
        HomeRecord waiting = HomeRecord.awaitingCaller(home.spec, "a", () -> new DataOutputStream(new ByteArrayOutputStream()), 30_000);
        waiting.startsAt(12, 0, (o, upTo) -> { // the previous agent's tail kept bytes 8 to 12 only
            FrameCodec.write(o, new dev.mosvm.agent.wire.OutputPosition(8, 0).frame());
            FrameCodec.write(o, MessageType.STDOUT, bytes("tail"));
        });
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertTrue(waiting.reattach(new DataOutputStream(back), 4, 0)); // the caller had 4
        waiting.output(MessageType.STDOUT, bytes("AB"), 2);
        List<String> frames = framesIn(back);
        assertEquals(List.of("@8", "tail", "AB"), frames, "a second reattach counts from the job's 14 bytes, not the caller's 10");
    }

    /** The frames a caller got: "@N" for a POSITION (N its stdout count), else the payload's text. */
    static List<String> framesIn(ByteArrayOutputStream got) throws java.io.IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(got.toByteArray()));
        List<String> frames = new java.util.ArrayList<>();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            frames.add(f.type() == MessageType.POSITION ? "@" + dev.mosvm.agent.wire.OutputPosition.of(f).out() : new String(f.payload(), StandardCharsets.UTF_8));
        }
        return frames;
    }
}
