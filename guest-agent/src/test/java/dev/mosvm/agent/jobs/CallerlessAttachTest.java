package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.NodeState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job of home a runs on b while a's agent restarts: b attaches again over a real peer channel
 * to the new agent, which has no caller for it. Home takes it on again, writes what it prints and
 * its exit status to its owner's files, and lists it meanwhile; another home's job, or one of a
 * home that keeps no such files, is still refused.
 */
class CallerlessAttachTest {
    @TempDir
    Path output;

    final int uid = OutputFilesTest.uid();
    final JobSpec spec = JobSpec.fresh("a.41", "a", uid, uid, List.of("count"), "2026-12-05T05:00:00Z", false, false, "placed", "b");
    final JobTable home = new JobTable("a", null, new LoopbackPeers("a", Map.of("b", NodeState.ALIVE)));

    static CopySettlementTest.Attached attach(JobTable table, JobSpec s) throws IOException {
        return CopySettlementTest.attachTo(table, "b", s);
    }

    static void until(String what, BooleanSupplier done) throws InterruptedException {
        for (long end = System.currentTimeMillis() + 30_000; !done.getAsBoolean(); Thread.sleep(5)) {
            assertTrue(System.currentTimeMillis() < end, what);
        }
    }

    static String readOr(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void aJobAttachingWithNoCallerIsTakenOnAgainAndItsOutputAndStatusReachItsOwnersFiles() throws Exception {
        home.deliverCallerlessTo(output, 0);
        CopySettlementTest.Attached a = attach(home, spec);
        FrameCodec.write(a.runner().out, MessageType.STDOUT, "line 5\n".getBytes(StandardCharsets.UTF_8));
        FrameCodec.write(a.runner().out, MessageType.STDERR, "note\n".getBytes(StandardCharsets.UTF_8));
        Path files = output.resolve(String.valueOf(uid)).resolve("a.41");
        until("the output reaches the files", () -> readOr(Path.of(files + ".out")).equals("line 5\n"));
        assertNotNull(home.home("a.41"), "home manages the job again while it runs on b");
        assertEquals("b", home.home("a.41").where());
        FrameCodec.write(a.runner().out, MessageType.STDOUT, "line 6\n".getBytes(StandardCharsets.UTF_8));
        FrameCodec.write(a.runner().out, Frame.u32(MessageType.EXIT, 0));
        Frame ack = CompletableFuture.supplyAsync(() -> CopySettlementTest.read(a.runner())).get(30, TimeUnit.SECONDS);
        assertEquals(MessageType.EXIT_ACK, ack.type(), "the runner hears its exit was taken, so it drops its spool");
        a.served().get(30, TimeUnit.SECONDS);
        until("the exit status is written", () -> readOr(Path.of(files + ".status")).equals("0\n"));
        assertEquals("line 5\nline 6\n", Files.readString(Path.of(files + ".out")));
        assertEquals("note\n", Files.readString(Path.of(files + ".err")));
        until("home lets the ended job go", () -> home.home("a.41") == null);

        // the same copy attaching again (its EXIT_ACK lost) is judged by the ended job's ledger, not taken on twice
        CopySettlementTest.Attached again = attach(home, spec);
        try {
            FrameCodec.write(again.runner().out, Frame.u32(MessageType.EXIT, 0));
        } catch (IOException e) {
            // home answered and hung up first
        }
        Frame settled = CompletableFuture.supplyAsync(() -> CopySettlementTest.read(again.runner())).get(30, TimeUnit.SECONDS);
        assertEquals(MessageType.ERROR, settled.type(), "no caller waits: the runner's replayed exit is settled (it drops its spool)");
        again.served().get(30, TimeUnit.SECONDS);
        assertNull(home.home("a.41"));
        assertEquals("0\n", Files.readString(Path.of(files + ".status")));
        assertTrue(Files.notExists(Path.of(files + ".1.out")), "no second set of files");
    }

    @Test
    void anotherHomesJobOrAHomeKeepingNoFilesIsRefused() throws Exception {
        home.deliverCallerlessTo(output, 0);
        JobSpec elsewhere = JobSpec.fresh("c.3", "c", uid, uid, List.of("x"), "2026-12-05T05:00:00Z", false, false, "placed", "b");
        CopySettlementTest.Attached a = attach(home, elsewhere);
        Frame f = CompletableFuture.supplyAsync(() -> CopySettlementTest.read(a.runner())).get(30, TimeUnit.SECONDS);
        assertEquals(MessageType.ERROR, f.type());
        assertTrue(f.text().contains("no caller of job c.3"), f.text());
        assertTrue(Files.notExists(output.resolve(String.valueOf(uid))), "nothing written for another home's job");

        JobTable bare = new JobTable("a", null, new LoopbackPeers("a", Map.of("b", NodeState.ALIVE)));
        CopySettlementTest.Attached b = attach(bare, spec);
        assertEquals(MessageType.ERROR, CompletableFuture.supplyAsync(() -> CopySettlementTest.read(b.runner())).get(30, TimeUnit.SECONDS).type());
    }

    @Test
    void aCallerReattachingToItsRestartedHomeGetsWhatItLacksOnceAndTheStandInFilesGo() throws Exception {
        home.deliverCallerlessTo(output, 30_000);
        CopySettlementTest.Attached a = attach(home, spec);
        // the runner sends its last output again from where its tail begins, then goes on
        FrameCodec.write(a.runner().out, new dev.mosvm.agent.wire.OutputPosition(0, 0).frame());
        FrameCodec.write(a.runner().out, MessageType.STDOUT, "line 1\nline 2\n".getBytes(StandardCharsets.UTF_8));
        FrameCodec.write(a.runner().out, new dev.mosvm.agent.wire.OutputPosition(14, 0).frame());
        FrameCodec.write(a.runner().out, MessageType.STDOUT, "line 3\n".getBytes(StandardCharsets.UTF_8));
        until("home takes the job on again", () -> home.home("a.41") != null);
        java.io.ByteArrayOutputStream caller = new java.io.ByteArrayOutputStream();
        assertTrue(home.home("a.41").reattach(new java.io.DataOutputStream(caller), 7, 0), "its caller had \"line 1\\n\"");
        FrameCodec.write(a.runner().out, Frame.u32(MessageType.EXIT, 3));
        a.served().get(30, TimeUnit.SECONDS);
        until("the exit reaches the caller and home lets the job go", () -> home.home("a.41") == null);
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(caller.toByteArray()));
        StringBuilder saw = new StringBuilder();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            saw.append(f.type() == MessageType.EXIT ? "exit " + f.u32() : new String(f.payload(), StandardCharsets.UTF_8));
        }
        assertEquals("line 2\nline 3\nexit 3", saw.toString());
        Path files = output.resolve(String.valueOf(uid)).resolve("a.41");
        assertTrue(Files.notExists(Path.of(files + ".out")) && Files.notExists(Path.of(files + ".status")), "no stand-in files left");
    }
}
