package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.NodeState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's side of a job away from home, over real peer channels on loopback: its exit
 * status is kept until home confirms it, so a link that dies right after the EXIT was written
 * does not leave the caller waiting forever.
 */
class RemoteSinkTest {
    @TempDir
    Path spool;

    final LoopbackPeers peers = new LoopbackPeers("runner", Map.of("home", NodeState.ALIVE));
    /** Home's ends of the links the runner opens. */
    final BlockingQueue<PeerChannel> homeEnds = peers.farEnds;

    RemoteSink sink() throws Exception {
        JobSpec spec = JobSpec.fresh("home.7", "home", 0, 0, List.of("true"), "now", false, false, "placed", "test");
        return new RemoteSink(spec, peers.connect("home"), peers, f -> { }, spool, 300, 50);
    }

    @Test
    void anExitHomeNeverConfirmedIsSentAgainOverANewLinkUntilItIs() throws Exception {
        RemoteSink sink = sink();
        PeerChannel first = homeEnds.take();
        sink.output(MessageType.STDOUT, "hi\n".getBytes(), 3);
        sink.exited(3); // home reads nothing back: the link died after the write
        assertEquals(MessageType.STDOUT, FrameCodec.read(first.in).type());
        assertEquals(3, FrameCodec.read(first.in).u32());
        first.close();
        assertTrue(Files.exists(sink.spoolFile()), "the unconfirmed status is kept");

        PeerChannel second = homeEnds.poll(10, TimeUnit.SECONDS);
        assertEquals(PeerRequest.Op.ATTACH, PeerRequest.read(second.in).op());
        Frame again = FrameCodec.read(second.in);
        assertEquals(MessageType.EXIT, again.type(), "only the status is sent again, not the output home already has");
        assertEquals(3, again.u32());
        FrameCodec.write(second.out, MessageType.EXIT_ACK, new byte[0]);
        for (int i = 0; i < 100 && Files.exists(sink.spoolFile()); i++) Thread.sleep(50);
        assertFalse(Files.exists(sink.spoolFile()), "confirmed: forgotten");
    }

    @Test
    void aMoveBeginsOnlyOnceHomeHasStoppedSendingHere() throws Exception {
        RemoteSink sink = sink();
        PeerChannel home = homeEnds.take();
        CompletableFuture<Void> held = CompletableFuture.runAsync(sink::holdControl);
        assertEquals(MessageType.HOLD, FrameCodec.read(home.in).type());
        Thread.sleep(200);
        assertFalse(held.isDone(), "the move waits for home's answer");
        FrameCodec.write(home.out, MessageType.HOLD_ACK, new byte[0]);
        held.get(5, TimeUnit.SECONDS);
        sink.keepControl(); // the move failed
        assertEquals(MessageType.RESUME_CONTROL, FrameCodec.read(home.in).type());
    }

    @Test
    void aConfirmedExitEndsTheLinkAndLeavesNothingBehind() throws Exception {
        RemoteSink sink = sink();
        PeerChannel home = homeEnds.take();
        Thread homeSide = new Thread(() -> {
            try {
                assertEquals(0, FrameCodec.read(home.in).u32());
                FrameCodec.write(home.out, MessageType.EXIT_ACK, new byte[0]);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        homeSide.start();
        sink.exited(0);
        homeSide.join();
        assertFalse(Files.exists(sink.spoolFile()));
        assertEquals(null, homeEnds.poll(500, TimeUnit.MILLISECONDS), "no second link");
    }

    @Test
    void aCopyHomeCallsStaleIsHandedToTheTableAndSendsNothingMoreNotEvenItsExit() throws Exception {
        JobSpec spec = JobSpec.fresh("home.8", "home", 0, 0, List.of("true"), "now", false, false, "placed", "test");
        BlockingQueue<Frame> toTable = new java.util.concurrent.LinkedBlockingQueue<>();
        RemoteSink sink = new RemoteSink(spec, peers.connect("home"), peers, toTable::add, spool, 300, 50);
        PeerChannel home = homeEnds.take();
        FrameCodec.writeText(home.out, MessageType.FENCED, "the copy of job home.8 on runner is stale");
        Frame f = toTable.poll(10, TimeUnit.SECONDS);
        assertEquals(MessageType.FENCED, f == null ? null : f.type(), "the table hears it (and stops the copy)");
        sink.output(MessageType.STDOUT, "late\n".getBytes(), 5);
        sink.exited(137); // the copy, killed
        home.close();
        assertFalse(Files.exists(sink.spoolFile()), "nothing of a stale copy is kept to send again");
        assertEquals(null, homeEnds.poll(500, TimeUnit.MILLISECONDS), "and it never reattaches");
    }

    @Test
    void outputBeyondAFullSpoolWaitsForHomeAndNothingIsLost() throws Exception {
        JobSpec spec = JobSpec.fresh("home.9", "home", 0, 0, List.of("true"), "now", false, false, "placed", "test");
        PeerChannel mine = peers.connect("home");
        RemoteSink sink = new RemoteSink(spec, mine, peers, f -> { }, spool, 300, 50, 100);
        homeEnds.take();
        peers.unreachable = true; // home goes away: the link fails, and so does every attempt to reattach
        mine.close();
        byte[] line = "0123456789012345678901234567890123456789\n".getBytes(); // 41 bytes: two fit in 100 with their headers
        sink.output(MessageType.STDOUT, line, line.length); // the write that finds the link down starts the spool
        sink.output(MessageType.STDOUT, line, line.length);
        CompletableFuture<Void> third = CompletableFuture.runAsync(() -> sink.output(MessageType.STDOUT, line, line.length));
        Thread.sleep(300);
        assertFalse(third.isDone(), "the third waits: the spool is full");
        assertTrue(Files.size(sink.spoolFile()) <= 100, "the spool holds no more than its bound");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(sink.spoolFile())));

        peers.unreachable = false;
        PeerChannel again = homeEnds.poll(10, TimeUnit.SECONDS); // home is back: the sink reattaches and replays
        assertEquals(PeerRequest.Op.ATTACH, PeerRequest.read(again.in).op());
        third.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            Frame f = FrameCodec.read(again.in);
            assertEquals(MessageType.STDOUT, f.type());
            assertEquals(new String(line), new String(f.payload()), "frame " + i + " in order, none lost");
        }
    }

    @Test
    void anAdoptingAgentSendsTheTailAgainAndTheCallerGetsEveryByteOnce() throws Exception {
        JobSpec spec = JobSpec.fresh("home.10", "home", 0, 0, List.of("true"), "now", false, false, "placed", "test");
        java.io.ByteArrayOutputStream callerBytes = new java.io.ByteArrayOutputStream();
        HomeRecord record = new HomeRecord(spec, new java.io.DataOutputStream(callerBytes), "runner");
        // the stopped agent's link delivered "one\ntw" before it died; its tail has all it read
        record.output(MessageType.STDOUT, "one\ntw".getBytes(), 6);
        OutputTail tail = OutputTail.fresh(spool);
        for (String chunk : List.of("one\n", "two\n", "three\n")) tail.append(OutputCounts.STDOUT, chunk.getBytes(), chunk.length());

        RemoteSink sink = RemoteSink.attach(spec, peers, f -> { });
        PeerChannel home = homeEnds.take();
        assertEquals(PeerRequest.Op.ATTACH, PeerRequest.read(home.in).op());
        Thread relay = new Thread(() -> JobServer.relay(record, home, CopyLedger.Copy.of(home.peer(), record.spec)));
        relay.start();
        long[] end = tail.end();
        sink.startsAt(end[0], end[1], (out, upTo) -> tail.replayTo(out, 0, 0, upTo)); // the adopted job's pumps start: its tail goes first
        sink.output(MessageType.STDOUT, "four\n".getBytes(), 5);
        sink.exited(0);
        assertEquals(0, record.exit.get(10, TimeUnit.SECONDS));
        relay.join(10_000);
        String saw = callerSaw(callerBytes);
        assertEquals("one\ntwo\nthree\nfour\n", saw);
    }

    @Test
    void aSpoolLongerThanTheTailIsReplayedAfterTheTailsOlderPartAndTheCallerGetsEveryByteOnce() throws Exception {
        JobSpec spec = JobSpec.fresh("home.11", "home", 0, 0, List.of("true"), "now", false, false, "placed", "test");
        java.io.ByteArrayOutputStream callerBytes = new java.io.ByteArrayOutputStream();
        HomeRecord record = new HomeRecord(spec, new java.io.DataOutputStream(callerBytes), "runner");
        OutputTail tail = OutputTail.fresh(spool.resolve(".."), 64); // about three lines a generation
        PeerChannel mine = peers.connect("home");
        RemoteSink sink = new RemoteSink(spec, mine, peers, f -> { }, spool, 300, 50);
        PeerChannel first = homeEnds.take();
        Thread relay = new Thread(() -> JobServer.relay(record, first, CopyLedger.Copy.of(first.peer(), record.spec)));
        relay.start();
        sink.startsAt(0, 0, (o, upTo) -> tail.replayTo(o, 0, 0, upTo));
        StringBuilder expected = new StringBuilder();
        java.util.function.IntConsumer line = n -> expected.append(pump(tail, sink, n));
        for (int n = 0; n < 3; n++) line.accept(n);
        peers.unreachable = true; // home goes away
        mine.close();
        relay.join(10_000);
        for (int n = 3; n < 15; n++) line.accept(n); // spooled: far more than the tail keeps
        peers.unreachable = false;
        PeerChannel second = homeEnds.poll(10, TimeUnit.SECONDS);
        assertEquals(PeerRequest.Op.ATTACH, PeerRequest.read(second.in).op());
        Thread relayAgain = new Thread(() -> JobServer.relay(record, second, CopyLedger.Copy.of(second.peer(), record.spec)));
        relayAgain.start();
        for (int n = 15; n < 17; n++) line.accept(n);
        sink.exited(0);
        assertEquals(0, record.exit.get(10, TimeUnit.SECONDS));
        String saw = callerSaw(callerBytes);
        assertEquals(expected.toString(), saw);
    }
    @Test
    void outputOnItsWayWhenHomeWentAwayReachesTheCallerEvenIfTheJobEndedAndTookItsTailWithIt() throws Exception {
        JobSpec spec = JobSpec.fresh("home.12", "home", 0, 0, List.of("true"), "now", false, false, "placed", "test");
        java.io.ByteArrayOutputStream callerBytes = new java.io.ByteArrayOutputStream();
        HomeRecord record = new HomeRecord(spec, new java.io.DataOutputStream(callerBytes), "runner");
        Path jobDir = Files.createDirectories(spool.resolve("job"));
        OutputTail tail = OutputTail.fresh(jobDir);
        PeerChannel mine = peers.connect("home");
        RemoteSink sink = new RemoteSink(spec, mine, peers, f -> { }, spool, 300, 50);
        homeEnds.take(); // home's end of the first link: what goes into it is never read (home's agent dies)
        sink.startsAt(0, 0, (o, upTo) -> tail.replayTo(o, 0, 0, upTo));
        StringBuilder expected = new StringBuilder();
        java.util.function.IntConsumer line = n -> expected.append(pump(tail, sink, n));
        for (int n = 0; n < 4; n++) line.accept(n);
        record.output(MessageType.STDOUT, "line 00\nline 01\n".getBytes(), 16); // all that reached the caller
        peers.unreachable = true; // home's agent is gone with lines 02 and 03 unread
        mine.close();
        for (int n = 4; n < 6; n++) line.accept(n); // spooled
        sink.exited(3); // the job ends while home is away
        tail.close();
        for (String f : List.of(OutputTail.CURRENT, OutputTail.PREVIOUS)) Files.deleteIfExists(jobDir.resolve(f)); // its directory goes with it

        peers.unreachable = false;
        PeerChannel again = homeEnds.poll(10, TimeUnit.SECONDS);
        assertEquals(PeerRequest.Op.ATTACH, PeerRequest.read(again.in).op());
        Thread relay = new Thread(() -> JobServer.relay(record, again, CopyLedger.Copy.of(again.peer(), record.spec)));
        relay.start();
        assertEquals(3, record.exit.get(10, TimeUnit.SECONDS));
        relay.join(10_000);
        String saw = callerSaw(callerBytes);
        assertEquals(expected.toString(), saw, "every line once, in order: the spool carried the tail of what was on its way");
    }

    /** Line {@code n}, as a pump passes it on: into the tail first, then to the sink; returns it. */
    static String pump(OutputTail tail, RemoteSink sink, int n) {
        byte[] b = String.format("line %02d\n", n).getBytes();
        tail.append(OutputCounts.STDOUT, b, b.length);
        sink.output(MessageType.STDOUT, b, b.length);
        return new String(b);
    }

    /** The stdout a caller was written, from its frames. */
    static String callerSaw(java.io.ByteArrayOutputStream callerBytes) throws IOException {
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(callerBytes.toByteArray()));
        StringBuilder saw = new StringBuilder();
        for (Frame f; (f = FrameCodec.read(in)) != null; ) if (f.type() == MessageType.STDOUT) saw.append(new String(f.payload()));
        return saw.toString();
    }
}
