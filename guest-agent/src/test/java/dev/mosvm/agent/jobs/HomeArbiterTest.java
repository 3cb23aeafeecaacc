package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.CopyArbiter.Verdict;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.NodeState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A move's source s asks home a which copy of job a.1 runs after its commit to t went
 * unanswered, over real peer channels (home a served by the test with its own job table), or
 * in its own table when it is home itself.
 */
class HomeArbiterTest {
    static final JobSpec SPEC = CopySettlementTest.SPEC;
    final LoopbackPeers fromS = new LoopbackPeers("s", Map.of("a", NodeState.ALIVE, "t", NodeState.ALIVE));
    final JobTable source = new JobTable("s", null, fromS);
    final JobTable homeTable = new JobTable("a", null, new LoopbackPeers("a", Map.of()));
    final HomeRecord home = new HomeRecord(SPEC, new DataOutputStream(new ByteArrayOutputStream()), "s");

    HomeArbiterTest() {
        homeTable.addHome(home);
    }

    @AfterEach
    void stop() throws InterruptedException {
        FakeCheckpoints.stopSleeping(source);
    }

    /** Home a answers the next connection s opens, as its peer server would. */
    CompletableFuture<PeerChannel> homeServes(JobTable table) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                PeerChannel ch = fromS.farEnds.poll(30, TimeUnit.SECONDS);
                PeerRequest req = PeerRequest.read(ch.in);
                assertEquals(PeerRequest.Op.SETTLE, req.op());
                table.serveSettle(req, ch);
                ch.out.flush();
                return ch;
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** The copy of a.1 frozen on s, its output going to home through a link that is down (the partition). */
    Job frozenOnS(Path spool) throws IOException {
        Job job = FakeCheckpoints.sleeping(source, SPEC.id(), 0);
        job.spec(SPEC);
        job.sink(new RemoteSink(SPEC, null, fromS, f -> {}, spool, 1000, 50));
        return job;
    }

    @Test
    void homeFencesTheTargetAndTheSourcesCopyReattachesAtTheNewEpoch(@TempDir Path spool) throws Exception {
        Job job = frozenOnS(spool);
        CompletableFuture<PeerChannel> served = homeServes(homeTable);
        assertEquals(Verdict.SOURCE_RESUMES, new HomeArbiter(source, 10_000).settle(SPEC, "t"));
        served.get(30, TimeUnit.SECONDS).close();
        assertEquals(1, home.epoch());
        assertEquals(1, job.spec().epoch(), "s's copy is the job at the epoch home gave it");

        job.sink().output(MessageType.STDOUT, "x".getBytes(StandardCharsets.UTF_8), 1); // the link is down: spooled, and s reattaches
        PeerChannel reattach = fromS.farEnds.poll(30, TimeUnit.SECONDS);
        PeerRequest attach = PeerRequest.read(reattach.in);
        assertEquals(PeerRequest.Op.ATTACH, attach.op());
        assertEquals(1, attach.spec().epoch(), "and its link to home says so");
        reattach.close();
    }

    @Test
    void aTargetWhoseCopyReachedHomeKeepsTheJob() throws Exception {
        assertEquals(CopyLedger.Arrival.ADMITTED, home.copies.arrive(CopyLedger.Copy.of("t", SPEC)));
        CompletableFuture<PeerChannel> served = homeServes(homeTable);
        assertEquals(Verdict.TARGET_HAS_IT, new HomeArbiter(source, 10_000).settle(SPEC, "t"));
        served.get(30, TimeUnit.SECONDS).close();
        assertEquals(0, home.epoch());
    }

    @Test
    void homeUnreachableGoneOrRefusingGivesNoAnswer() throws Exception {
        HomeArbiter arbiter = new HomeArbiter(source, 10_000);
        fromS.unreachable = true;
        assertEquals(Verdict.NO_ANSWER, arbiter.settle(SPEC, "t"));
        fromS.unreachable = false;

        fromS.states.put("a", NodeState.DEAD);
        assertEquals(Verdict.NO_ANSWER, arbiter.settle(SPEC, "t"));
        assertTrue(fromS.farEnds.isEmpty(), "a home the pool declared gone is not asked");
        fromS.states.put("a", NodeState.ALIVE);

        CompletableFuture<PeerChannel> served = homeServes(new JobTable("z", null, new LoopbackPeers("z", Map.of()))); // not the job's home
        assertEquals(Verdict.NO_ANSWER, arbiter.settle(SPEC, "t"));
        served.get(30, TimeUnit.SECONDS).close();
        assertEquals(0, home.epoch(), "home a decided nothing");
    }

    @Test
    void aHomeThatDoesNotAnswerInTimeGivesNoAnswer() throws Exception {
        long t0 = System.nanoTime();
        assertEquals(Verdict.NO_ANSWER, new HomeArbiter(source, 300).settle(SPEC, "t")); // a's end reads nothing and says nothing
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "bounded by the deadline, not by a read that never ends");
        fromS.farEnds.poll(30, TimeUnit.SECONDS).close();
    }

    @Test
    void aHomeSettlesItsOwnJobsMovesInItsOwnTable() throws Exception {
        Job job = FakeCheckpoints.sleeping(homeTable, SPEC.id(), 0);
        job.spec(SPEC);
        CopyArbiter local = homeTable.arbiter();
        assertEquals(Verdict.SOURCE_RESUMES, local.settle(SPEC, "t"));
        assertEquals(Verdict.SOURCE_RESUMES, local.settle(SPEC, "t"), "asked again");
        assertEquals(1, home.epoch());
        assertEquals(1, job.spec().epoch(), "a later move of it carries the new epoch");
        assertEquals(CopyLedger.Arrival.SETTLED_AWAY, home.copies.arrive(CopyLedger.Copy.of("t", SPEC)));
        job.launcher().destroy();
        job.launcher().waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void theRequestCarriesTheSpecTheTargetAttachesWith() throws Exception {
        CompletableFuture<PeerRequest> asked = CompletableFuture.supplyAsync(() -> {
            try (PeerChannel ch = fromS.farEnds.poll(30, TimeUnit.SECONDS)) {
                PeerRequest req = PeerRequest.read(ch.in);
                FrameCodec.writeText(ch.out, MessageType.ERROR, "not now");
                return req;
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        assertEquals(Verdict.NO_ANSWER, new HomeArbiter(source, 10_000).settle(SPEC, "t"));
        assertEquals(PeerRequest.settle(SPEC, "t"), asked.get(30, TimeUnit.SECONDS));
    }
}
