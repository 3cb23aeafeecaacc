package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.cli.Migrate;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import dev.mosvm.api.Json;
import dev.mosvm.api.NodeState;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/**
 * The job socket's checkpoint requests, no job launched (so no root): `migrate JOB checkpoint`
 * answered by the node's checkpoints, mosrun's -A and -N checked and carried in the new job's
 * spec to the node it is placed on, and -R's refusals, each one line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobServerCheckpointTest {
    static final CheckpointRecord TAKEN = new CheckpointRecord("a.17", 3, "/pool/a/.mosvm-checkpoints/a.17/3", "2026-12-04T12:00:00Z", "a",
            12_687_770, 2, 48L << 20, 420, 5);

    Path dir;
    Path socket;
    JobServer server;
    final LoopbackPeers peers = new LoopbackPeers("a", Map.of("a", NodeState.ALIVE, "b", NodeState.ALIVE));
    final JobTable table = new JobTable("a", null, peers);

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("mosvm-jobs-ckpt");
        socket = dir.resolve("jobs.sock");
        // every new job is placed on b, whose side the test plays
        server = new JobServer(socket, table, (job, node, uid, mode) -> {
            throw new IOException("no moves here");
        }, job -> new Placement.Choice("b", "b has a free core"));
        server.usersWhoLeaveHome((uid, gid) -> true); // the test runs as root, whose jobs stay home (rootsJobsStayHome)
    }

    @Test
    void rootsJobsStayHome() throws Exception {
        server.usersWhoLeaveHome(dev.mosvm.agent.sandbox.GuestUsers::mayLeaveHome);
        try {
            String refused = error("{\"op\":\"run\",\"argv\":[\"true\"],\"cwd\":\"/pool/a\",\"node\":\"b\"}");
            assertTrue(refused.matches("job a\\.\\d+ is root's and stays on its home a: only users' jobs \\(uid and group 1000-60000\\) run on other nodes"), refused);
            // placed (b has a free core, says the placement): it starts here (a unit test has no launcher
            // to start it with), and b hears nothing of it
            Frame placed = answer("{\"op\":\"run\",\"argv\":[\"true\"],\"cwd\":\"/tmp\"}");
            assertTrue(placed.type() == MessageType.ERROR && placed.text().startsWith("cannot start the job: "), placed.type() + " " + placed.text());
            assertNull(peers.farEnds.poll(2, TimeUnit.SECONDS), "no start sent to b");
        } finally {
            server.usersWhoLeaveHome((uid, gid) -> true);
        }
    }

    @AfterAll
    void stop() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }

    /** The first frame the agent answers {@code line} with. */
    Frame answer(String line) throws IOException {
        try (SocketChannel c = JobServerBoundsTest.connect(socket)) {
            c.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            return FrameCodec.read(new DataInputStream(Channels.newInputStream(c)));
        }
    }

    String error(String line) throws IOException {
        Frame f = answer(line);
        assertEquals(MessageType.ERROR, f.type(), f.text());
        return f.text();
    }

    record Run(int exit, String out) {}

    Run migrate(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new Migrate());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(new StringWriter()));
        return new Run(cl.execute(Stream.concat(Stream.of("--socket", socket.toString()),
                Stream.of(args)).toArray(String[]::new)), out.toString());
    }

    /** Node b's side of the next connection this node opens, for a job it runs: the request, then {@code frame}. */
    PeerRequest serveAsB(Frame frame) throws Exception {
        PeerChannel far = peers.farEnds.poll(10, TimeUnit.SECONDS);
        try (far) {
            PeerRequest req = PeerRequest.read(far.in);
            FrameCodec.write(far.out, frame);
            return req;
        }
    }

    @Test
    void migrateJobCheckpointPrintsTheCheckpointTakenWhereTheJobRuns() throws Exception {
        JobSpec spec = JobSpec.fresh("a.17", "a", 0, 0, List.of("x"), "2026-12-04T11:00:00Z", false, false, "placed", "test");
        table.addHome(new HomeRecord(spec, new DataOutputStream(OutputStream.nullOutputStream()), "b", Clock.systemUTC()));
        try {
            CompletableFuture<Run> run = CompletableFuture.supplyAsync(() -> migrate("a.17", "checkpoint"));
            PeerRequest asked = serveAsB(Frame.json(MessageType.REPLY, TAKEN));
            assertEquals(PeerRequest.Op.CHECKPOINT, asked.op());
            assertEquals("a.17", asked.job());
            Run r = run.get(10, TimeUnit.SECONDS);
            assertEquals(new Run(0, "checkpoint 3 of a.17: 12.1 MiB of pages (incremental on 2; 48.0 MiB with its chain), job frozen 0.42 s, "
                    + "stored at /pool/a/.mosvm-checkpoints/a.17/3\n"), r);

            CompletableFuture<Run> json = CompletableFuture.supplyAsync(
                    () -> migrate("a.17", "checkpoint", "--json"));
            serveAsB(Frame.json(MessageType.REPLY, TAKEN));
            assertEquals(TAKEN, Json.MAPPER.readValue(json.get(10, TimeUnit.SECONDS).out(), CheckpointRecord.class));
        } finally {
            table.removeHome("a.17");
        }
    }

    @Test
    void aCheckpointThatCannotBeTakenIsOneErrorFrameWithTheReason() throws Exception {
        CompletableFuture<Frame> f = CompletableFuture.supplyAsync(() -> {
            try {
                return answer(Json.MAPPER.writeValueAsString(JobRequest.checkpoint("a.18")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals(PeerRequest.Op.LIST, serveAsB(Frame.json(MessageType.LIST, List.of())).op(), "found by asking the pool");
        Frame refused = f.get(10, TimeUnit.SECONDS);
        assertEquals(MessageType.ERROR, refused.type());
        assertEquals("no job a.18 is running in the pool (it has finished, or never existed)", refused.text());
    }

    @Test
    void badCheckpointSettingsAreRefusedByName() throws IOException {
        assertEquals("bad request: checkpointEvery (mosrun -A) must be 1 to 10080 minutes, not 0",
                error("{\"op\":\"run\",\"argv\":[\"true\"],\"checkpointEvery\":0}"));
        assertEquals("bad request: checkpointEvery (mosrun -A) must be 1 to 10080 minutes, not 10081",
                error("{\"op\":\"run\",\"argv\":[\"true\"],\"checkpointEvery\":10081}"));
        assertEquals("bad request: keepCheckpoints (mosrun -N) must be 1 to 100, not 101",
                error("{\"op\":\"run\",\"argv\":[\"true\"],\"checkpointEvery\":5,\"keepCheckpoints\":101}"));
        assertEquals("bad request: keepCheckpoints (mosrun -N) must be 1 to 100, not 0",
                error("{\"op\":\"run\",\"argv\":[\"true\"],\"keepCheckpoints\":0}"));
        assertEquals("bad request: checkpointEvery (mosrun -A) must be 1 to 10080 minutes, not -3",
                error("{\"op\":\"run\",\"restart\":\"a.1\",\"checkpointEvery\":-3}"), "a restart's settings are checked too");
        assertTrue(peers.farEnds.isEmpty(), "no job was sent anywhere");
    }

    @Test
    void aRestartIsRefusedWithOneLineWhenItCannotBeDoneAndRunsNoProgramOfItsOwn() throws Exception {
        FakeCheckpoints fake = new FakeCheckpoints("a", 0).refuse("a.2/1", "checkpoint a.2/1 was altered after it was taken: pages-1.img does not match its checksum")
                .offer("b.5", JobSpec.fresh("b.5", "b", 0, 0, List.of("x"), "2026-12-04T11:00:00Z", false, false, "home", "test"))
                .offer("a.6", JobSpec.fresh("a.6", "a", 0, 0, List.of("x"), "2026-12-04T11:00:00Z", false, false, "home", "test"))
                .offer("a.7", JobSpec.fresh("a.7", "a", 0, 0, List.of("x"), "2026-12-04T11:00:00Z", false, false, "home", "test"))
                .offer("a.8", JobSpec.fresh("a.8", "a", 0, 0, List.of("x"), "2026-12-04T11:00:00Z", false, false, "placed", "test"));
        table.checkpoints(fake);
        try {
            assertEquals("no checkpoint a.1/3 at home a", error("{\"op\":\"run\",\"argv\":[],\"restart\":\"a.1/3\"}"));
            assertEquals("checkpoint a.2/1 was altered after it was taken: pages-1.img does not match its checksum",
                    error("{\"op\":\"run\",\"restart\":\"a.2/1\"}"));
            assertEquals("checkpoint b.5 is of a job whose home is b: restart it there (mosrun -R on b)", error("{\"op\":\"run\",\"restart\":\"b.5\"}"));
            // a.8's caller waits here while it runs on b
            JobSpec a8 = JobSpec.fresh("a.8", "a", 0, 0, List.of("x"), "2026-12-04T11:00:00Z", false, false, "placed", "test");
            table.addHome(new HomeRecord(a8, new DataOutputStream(OutputStream.nullOutputStream()), "b", Clock.systemUTC()));
            try {
                assertEquals("job a.8 still runs on b: restarting it from a.8 would run it twice", error("{\"op\":\"run\",\"restart\":\"a.8\"}"));
            } finally {
                table.removeHome("a.8");
            }
            // a.6 still runs on b: the pool's list says so
            CompletableFuture<Frame> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return answer("{\"op\":\"run\",\"restart\":\"a.6\"}");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            JobView onB = new JobView("a.6", 0, "root", "a", "b", "RUNNING", List.of("x"), "2026-12-04T11:00:00Z", 1, 1, 0, false, List.of(),
                    "home", null, 0, false, null, 0);
            serveAsB(Frame.json(MessageType.LIST, List.of(onB)));
            Frame twice = running.get(10, TimeUnit.SECONDS);
            assertEquals("job a.6 still runs on b: restarting it from a.6 would run it twice", twice.text());
            // a.7 runs nowhere: its restore is tried, and its failure is the caller's one line
            CompletableFuture<Frame> restore = CompletableFuture.supplyAsync(() -> {
                try {
                    return answer("{\"op\":\"run\",\"restart\":\"a.7\"}");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            serveAsB(Frame.json(MessageType.LIST, List.of()));
            assertEquals("cannot restart from checkpoint a.7: no CRIU in this test", restore.get(10, TimeUnit.SECONDS).text());
        } finally {
            table.checkpoints(Checkpoints.NONE);
        }
        assertEquals("bad request: a restart from a checkpoint runs no program of its own",
                error("{\"op\":\"run\",\"argv\":[\"true\"],\"restart\":\"a.1\"}"));
        assertEquals("bad request: no program to run", error("{\"op\":\"run\",\"argv\":[]}"));
    }

    @Test
    void aJobsIntervalAndKeepCountTravelInItsSpecToItsNode() throws Exception {
        try (SocketChannel caller = JobServerBoundsTest.connect(socket)) {
            caller.write(ByteBuffer.wrap("{\"op\":\"run\",\"argv\":[\"true\"],\"cwd\":\"/pool/a\",\"checkpointEvery\":5,\"keepCheckpoints\":4}\n"
                    .getBytes(StandardCharsets.UTF_8)));
            PeerChannel far = peers.farEnds.poll(10, TimeUnit.SECONDS);
            try (far) {
                PeerRequest start = PeerRequest.read(far.in);
                assertEquals(PeerRequest.Op.START, start.op());
                assertEquals(List.of(5, 4), List.of(start.spec().checkpointEvery(), start.spec().keepCheckpoints()));
                FrameCodec.write(far.out, Frame.u32(MessageType.EXIT, 0)); // b: it ran and ended
            }
            DataInputStream in = new DataInputStream(Channels.newInputStream(caller));
            assertEquals(MessageType.STARTED, FrameCodec.read(in).type());
            assertEquals(0, FrameCodec.read(in).u32());
        }
        try (SocketChannel caller = JobServerBoundsTest.connect(socket)) {
            caller.write(ByteBuffer.wrap("{\"op\":\"run\",\"argv\":[\"true\"],\"cwd\":\"/pool/a\"}\n".getBytes(StandardCharsets.UTF_8)));
            PeerChannel far = peers.farEnds.poll(10, TimeUnit.SECONDS);
            try (far) {
                JobSpec spec = PeerRequest.read(far.in).spec();
                assertEquals(List.of(0, JobSpec.DEFAULT_KEEP), List.of(spec.checkpointEvery(), spec.keepCheckpoints()), "none asked: none, and the default kept");
                FrameCodec.write(far.out, Frame.u32(MessageType.EXIT, 0));
            }
            DataInputStream in = new DataInputStream(Channels.newInputStream(caller));
            assertEquals(MessageType.STARTED, FrameCodec.read(in).type());
            assertEquals(0, FrameCodec.read(in).u32());
        }
    }
}
