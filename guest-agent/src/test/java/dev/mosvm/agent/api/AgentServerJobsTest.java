package dev.mosvm.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.jobs.FakeCheckpoints;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.jobs.PoolJobs;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentProtocol;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.MigrationMode;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.api.MigrationRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The job endpoints of the agent's HTTPS API, which the host's `mosvm ps`, `mosvm migrate` and
 * `mosvm checkpoint` use: only with the instance secret, a move made with root's rights and the
 * mode asked for, a checkpoint with root's rights, a refusal in the job service's own words, and
 * moves in progress holding up nothing else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentServerJobsTest {
    static final MigrationRecord MOVED = new MigrationRecord("test", "b", "2026-12-04T12:00:00Z", 2, 120, 900, 5L << 20, "moved",
            "asked by a user", 3.5, "sealed");
    static final Duration WAIT = Duration.ofSeconds(30);

    LoopbackAgent agent;
    /** Every move the job service was asked for: job, node, uid, mode. */
    final List<List<Object>> asked = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch slowMovesStarted = new CountDownLatch(3);
    final CountDownLatch slowMovesMayEnd = new CountDownLatch(1);
    final CountDownLatch busyMovesStarted = new CountDownLatch(ServingLimits.API_LONG_REQUESTS);
    final CountDownLatch busyMovesMayEnd = new CountDownLatch(1);

    /** An agent whose node runs two jobs (sleeps), test.30 and test.31, for the checkpoint endpoint. */
    LoopbackAgent withJobs;
    final JobTable table = new JobTable("test", null, PeerDirectory.NONE);
    final FakeCheckpoints checkpoints = new FakeCheckpoints("test", 1000).refuse("test.31", "job test.31 is being migrated; try again when it has moved");

    @BeforeAll
    void start() throws Exception {
        agent = LoopbackAgent.start("test");
        agent.server.jobs(null, null, new PoolJobs(new JobTable("test", null, PeerDirectory.NONE), this::migrate));
        withJobs = LoopbackAgent.start("test");
        table.checkpoints(checkpoints);
        FakeCheckpoints.sleeping(table, "test.30", 1000);
        FakeCheckpoints.sleeping(table, "test.31", 1000);
        withJobs.server.jobs(null, null, new PoolJobs(table, this::migrate));
    }

    @AfterAll
    void stop() throws InterruptedException {
        agent.close();
        withJobs.close();
        FakeCheckpoints.stopSleeping(table);
    }

    static final CheckpointRecord TAKEN = FakeCheckpoints.record("test.30", "test");

    /** A move under way: counts itself {@code started}, then lasts until {@code mayEnd}. */
    static void holdUntil(CountDownLatch started, CountDownLatch mayEnd) throws IOException {
        started.countDown();
        try {
            mayEnd.await();
        } catch (InterruptedException e) {
            throw new IOException("interrupted");
        }
    }

    /** {@code n} moves of jobs PREFIX0, PREFIX1, ... to "b", each asked for on its own. */
    List<CompletableFuture<MigrationRecord>> startMoves(String prefix, int n) {
        List<CompletableFuture<MigrationRecord>> moves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            MigrationRequest r = new MigrationRequest(prefix + i, "b", null);
            moves.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return agent.client(true).migrate(r, WAIT);
                } catch (AgentException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        return moves;
    }

    /** The job service's side: moves to "b" succeed, others are refused as Migrations refuses them. */
    MigrationRecord migrate(String job, String node, int uid, MigrationMode mode) throws IOException {
        asked.add(List.of(job, node, uid, mode));
        if (job.startsWith("test.slow")) holdUntil(slowMovesStarted, slowMovesMayEnd);
        if (job.startsWith("test.busy")) holdUntil(busyMovesStarted, busyMovesMayEnd);
        if (!node.equals("b")) throw new IOException("no live node named '" + node + "' in the pool");
        return MOVED;
    }

    @Test
    void aMoveIsMadeWithRootsRightsAndTheModeAskedFor() throws Exception {
        MigrationRecord m = agent.client(true).migrate(new MigrationRequest("test.7", "b", MigrationMode.STOP_AND_COPY), WAIT);
        assertEquals(MOVED, m);
        assertTrue(asked.contains(List.of("test.7", "b", 0, MigrationMode.STOP_AND_COPY)), asked.toString());
        agent.client(true).migrate(new MigrationRequest("test.8", "b", null), WAIT);
        assertTrue(asked.contains(List.of("test.8", "b", 0, MigrationMode.DEFAULT)), "no mode: the default one; " + asked);
    }

    @Test
    void aMoveThatCannotBeMadeIsRefusedWithTheReason() {
        AgentException e = assertThrows(AgentException.class,
                () -> agent.client(true).migrate(new MigrationRequest("test.9", "zz", null), WAIT));
        assertEquals(409, e.status());
        assertEquals("no live node named 'zz' in the pool", e.reason());
    }

    @Test
    void aCheckpointIsTakenWithRootsRightsAndARefusalIsA409WithTheReason() throws Exception {
        assertEquals(TAKEN, withJobs.client(true).checkpoint("test.30", WAIT));
        assertTrue(checkpoints.asked.contains(List.of("test.30", 0)), "as root: " + checkpoints.asked);
        AgentException busy = assertThrows(AgentException.class, () -> withJobs.client(true).checkpoint("test.31", WAIT));
        assertEquals(409, busy.status());
        assertEquals("job test.31 is being migrated; try again when it has moved", busy.reason());
        AgentException nowhere = assertThrows(AgentException.class, () -> withJobs.client(true).checkpoint("test.99", WAIT));
        assertEquals(409, nowhere.status());
        assertEquals("no job test.99 is running in the pool (it has finished, or never existed)", nowhere.reason());
        AgentException noJob = assertThrows(AgentException.class, () -> withJobs.client(true).send("POST", AgentProtocol.CHECKPOINT, "{}"));
        assertEquals(409, noJob.status());
        assertEquals("usage: migrate JOB checkpoint", noJob.reason());
    }

    @Test
    void withoutTheSecretNoCheckpointIsTaken() {
        int before = checkpoints.asked.size();
        AgentException e = assertThrows(AgentException.class, () -> withJobs.client(false).checkpoint("test.30", WAIT));
        assertEquals(401, e.status());
        assertEquals(before, checkpoints.asked.size(), "the node's checkpoints never heard of it: " + checkpoints.asked);
    }

    @Test
    void withoutTheSecretNothingIsListedOrMoved() {
        AgentException list = assertThrows(AgentException.class, () -> agent.client(false).jobs());
        assertEquals(401, list.status());
        AgentException move = assertThrows(AgentException.class,
                () -> agent.client(false).migrate(new MigrationRequest("test.10", "b", null), WAIT));
        assertEquals(401, move.status());
        assertTrue(asked.stream().noneMatch(a -> a.get(0).equals("test.10")), "the job service never heard of it: " + asked);
    }

    @Test
    void aNodeWithoutJobsAndPeersListsNone() throws Exception {
        assertEquals(List.of(), agent.client(true).jobs());
    }

    @Test
    void anAgentWithoutTheJobServiceSaysSo() throws Exception {
        try (LoopbackAgent bare = LoopbackAgent.start("bare")) {
            AgentException list = assertThrows(AgentException.class, () -> bare.client(true).jobs());
            assertEquals(409, list.status());
            assertEquals("this agent runs no jobs", list.reason());
            AgentException move = assertThrows(AgentException.class,
                    () -> bare.client(true).migrate(new MigrationRequest("bare.1", "b", null), WAIT));
            assertEquals("this agent runs no jobs", move.reason());
            AgentException checkpoint = assertThrows(AgentException.class, () -> bare.client(true).checkpoint("bare.1", WAIT));
            assertEquals("this agent runs no jobs", checkpoint.reason());
        }
    }

    @Test
    void movesInProgressHoldUpNothingElse() throws Exception {
        // more moves at once than the API has threads: each runs on its own, as job socket callers do
        List<CompletableFuture<MigrationRecord>> moves = startMoves("test.slow", 3);
        assertTrue(slowMovesStarted.await(20, TimeUnit.SECONDS), "three moves under way together");
        assertEquals("test", agent.client(true).facts().node(), "facts are answered meanwhile");
        assertEquals(List.of(), agent.client(true).jobs(), "and so is the job list");
        slowMovesMayEnd.countDown();
        for (CompletableFuture<MigrationRecord> m : moves) assertEquals(MOVED, m.get(20, TimeUnit.SECONDS));
    }

    @Test
    void moreJobRequestsAtOnceThanTheBoundAreAnsweredBusyAndFactsStillServed() throws Exception {
        List<CompletableFuture<MigrationRecord>> moves = startMoves("test.busy", ServingLimits.API_LONG_REQUESTS);
        try {
            assertTrue(busyMovesStarted.await(20, TimeUnit.SECONDS), "the bound's worth of moves under way");
            AgentException busy = assertThrows(AgentException.class, () -> agent.client(true).jobs());
            assertEquals(503, busy.status());
            assertEquals("busy: " + ServingLimits.API_LONG_REQUESTS + " job requests are under way; try again", busy.reason());
            assertEquals("test", agent.client(true).facts().node(), "facts are answered meanwhile");
        } finally {
            busyMovesMayEnd.countDown();
        }
        for (CompletableFuture<MigrationRecord> m : moves) assertEquals(MOVED, m.get(20, TimeUnit.SECONDS));
        assertEquals(List.of(), agent.client(true).jobs(), "and job requests once they are done");
    }
}
