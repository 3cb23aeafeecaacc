package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import dev.mosvm.api.NodeState;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint asked for on any node is taken by the node the job runs on: here by this node's
 * checkpoints, elsewhere by the runner's, reached over real peer channels on loopback whose
 * far ends the test serves as that node would (its job list, then its table's answer).
 */
class PoolJobsCheckpointTest {
    final LoopbackPeers peers = new LoopbackPeers("a", Map.of("a", NodeState.ALIVE, "b", NodeState.ALIVE));
    final JobTable here = new JobTable("a", null, peers);
    final FakeCheckpoints ours = new FakeCheckpoints("a", 1000);
    final PoolJobs jobs = new PoolJobs(here, (job, node, uid, mode) -> {
        throw new IOException("no moves here");
    });
    /** Node b's table, serving what reaches it as its PeerServer does. */
    final JobTable b = new JobTable("b", null, PeerDirectory.NONE);
    final FakeCheckpoints theirs = new FakeCheckpoints("b", 1000);

    PoolJobsCheckpointTest() {
        here.checkpoints(ours);
        b.checkpoints(theirs);
    }

    @AfterEach
    void stop() throws InterruptedException {
        FakeCheckpoints.stopSleeping(here);
    }

    CompletableFuture<CheckpointRecord> ask(String job, int uid) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return jobs.checkpoint(job, uid);
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    /** Node b's side of the next connection this node opens: its request, answered as b's PeerServer answers it. */
    PeerRequest serveAsB(List<JobView> running) throws Exception {
        PeerChannel far = peers.farEnds.poll(10, TimeUnit.SECONDS);
        try (far) {
            PeerRequest req = PeerRequest.read(far.in);
            switch (req.op()) {
                case LIST -> FrameCodec.write(far.out, Frame.json(MessageType.LIST, running));
                case CHECKPOINT -> b.serveCheckpoint(req, far);
                default -> throw new AssertionError("b was asked " + req);
            }
            return req;
        }
    }

    static JobView view(String id) {
        return new JobView(id, 1000, "alice", "a", "b", "RUNNING", List.of("x"), "2026-12-04T11:00:00Z", 1, 1, 0, false, List.of(),
                "placed", null, 1, false, null, 0);
    }

    static String reason(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IOException, e.toString());
        return e.getCause().getMessage();
    }

    @Test
    void aJobRunningHereIsCheckpointedByThisNodeWithTheCallersRights() throws Exception {
        FakeCheckpoints.sleeping(here, "a.1", 1000);
        assertEquals(FakeCheckpoints.record("a.1", "a"), jobs.checkpoint("a.1", 1000));
        assertEquals("job a.1 belongs to another user", assertThrows(IOException.class, () -> jobs.checkpoint("a.1", 1001)).getMessage());
        assertEquals(List.of(List.of("a.1", 1000), List.of("a.1", 1001)), ours.asked);
        assertTrue(peers.farEnds.isEmpty(), "no peer was asked");
    }

    @Test
    void aJobElsewhereIsFoundByItsListingAndCheckpointedByItsNode() throws Exception {
        CompletableFuture<CheckpointRecord> c = ask("b.5", 1000);
        assertEquals(PeerRequest.Op.LIST, serveAsB(List.of(view("b.4"), view("b.5"))).op());
        assertEquals(PeerRequest.checkpoint("b.5", 1000), serveAsB(List.of()));
        assertEquals(FakeCheckpoints.record("b.5", "b"), c.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(List.of("b.5", 1000)), theirs.asked);
        assertEquals(List.of(), ours.asked, "this node takes none of a job elsewhere");
    }

    @Test
    void aJobOfThisHomeGoesStraightToTheNodeItRunsOnAndItsRefusalIsTheCallers() throws Exception {
        JobSpec spec = JobSpec.fresh("a.9", "a", 1000, 1000, List.of("x"), "2026-12-04T11:00:00Z", false, false, "placed", "test");
        here.addHome(new HomeRecord(spec, new DataOutputStream(OutputStream.nullOutputStream()), "b", Clock.systemUTC()));
        CompletableFuture<CheckpointRecord> c = ask("a.9", 1001);
        assertEquals(PeerRequest.checkpoint("a.9", 1001), serveAsB(List.of()), "no listing: home knows where its job runs");
        assertEquals("job a.9 belongs to another user", reason(c));
    }

    @Test
    void aJobNowhereInThePoolIsSaidSo() throws Exception {
        CompletableFuture<CheckpointRecord> c = ask("z.1", 0);
        serveAsB(List.of(view("b.4")));
        assertEquals("no job z.1 is running in the pool (it has finished, or never existed)", reason(c));
    }

    @Test
    void aRunnerThatHangsUpIsNamed() throws Exception {
        JobSpec spec = JobSpec.fresh("a.8", "a", 1000, 1000, List.of("x"), "2026-12-04T11:00:00Z", false, false, "placed", "test");
        here.addHome(new HomeRecord(spec, new DataOutputStream(OutputStream.nullOutputStream()), "b", Clock.systemUTC()));
        CompletableFuture<CheckpointRecord> c = ask("a.8", 0);
        PeerChannel far = peers.farEnds.poll(10, TimeUnit.SECONDS);
        PeerRequest.read(far.in);
        far.close();
        assertEquals("b closed the connection during the checkpoint", reason(c));
    }
}
