package dev.mosvm.agent.pool;

import dev.mosvm.agent.checkpoint.CheckpointChains;
import dev.mosvm.agent.checkpoint.CheckpointStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Home ca folds its jobs' checkpoints when asked: only its own jobs', one fold per job at a time, asks coalesced. */
class HomeFoldsTest {
    @TempDir
    Path tmp;

    /** The folds handed to the executor, run when the test says. */
    final ArrayDeque<Runnable> queued = new ArrayDeque<>();
    final Executor manual = queued::add;
    /** Each compaction run, as "JOB keep". */
    final List<String> runs = new ArrayList<>();

    @Test
    void aJobOfThisHomeIsFoldedAtHomeAfterTheAnswer() throws IOException {
        CheckpointStore store = CheckpointChains.store(tmp);
        int one = CheckpointChains.take(store, 0);
        int two = CheckpointChains.take(store, one);
        int[] before = CheckpointChains.restored(store, two);
        HomeFolds folds = new HomeFolds("ca", store::compact, manual);

        assertNull(folds.request(CheckpointChains.JOB, 1));
        assertEquals(List.of(1, 2), CheckpointChains.sealed(store), "nothing is folded before the answer");
        queued.remove().run();

        assertEquals(List.of(2), CheckpointChains.sealed(store));
        assertEquals(0, store.list(CheckpointChains.JOB).get(0).parent(), "2 holds every page itself");
        assertArrayEquals(before, CheckpointChains.restored(store, two));
        assertFalse(folds.busy());
    }

    @Test
    void aJobOfAnotherHomeIsRefusedAndNothingRuns() {
        HomeFolds folds = new HomeFolds("ca", (job, keep) -> {
            runs.add(job + " " + keep);
            return null;
        }, manual);

        assertEquals("the home of job cb.4 is cb, not ca: its checkpoints are folded there", folds.request("cb.4", 3));
        assertEquals("the home of job ca.cb.4 is ca.cb, not ca: its checkpoints are folded there", folds.request("ca.cb.4", 3));
        assertEquals("17 names no checkpoint: give a job id (its latest), JOB/N, or a checkpoint's path", folds.request("17", 3));
        assertTrue(queued.isEmpty());
        assertFalse(folds.busy());
    }

    @Test
    void asksWhileAFoldWaitsAreOneFoldAndAnAskWhileItRunsIsOneMore() {
        HomeFolds[] folds = new HomeFolds[1];
        folds[0] = new HomeFolds("ca", (job, keep) -> {
            runs.add(job + " " + keep);
            if (runs.size() == 3) { // the runner sealed more meanwhile, twice
                assertNull(folds[0].request(job, keep));
                assertNull(folds[0].request(job, keep));
            }
            return null;
        }, manual);

        assertNull(folds[0].request("ca.1", 3));
        assertNull(folds[0].request("ca.1", 3));
        assertNull(folds[0].request("ca.2", 2));
        assertEquals(2, queued.size(), "one fold per job");
        queued.remove().run();
        queued.remove().run();
        assertEquals(List.of("ca.1 3", "ca.2 2"), runs);

        assertNull(folds[0].request("ca.1", 3));
        queued.remove().run(); // asks twice while it runs
        assertEquals(1, queued.size(), "one more fold, after the one running");
        queued.remove().run();
        assertEquals(List.of("ca.1 3", "ca.2 2", "ca.1 3", "ca.1 3"), runs);
        assertTrue(queued.isEmpty());
        assertFalse(folds[0].busy());
    }

    @Test
    void aFailedFoldIsLoggedAndTheNextAskRunsAgain() {
        HomeFolds folds = new HomeFolds("ca", (job, keep) -> {
            runs.add(job + " " + keep);
            throw new IOException("disk full");
        }, manual);

        assertNull(folds.request("ca.1", 3));
        queued.remove().run();
        assertNull(folds.request("ca.1", 3));
        queued.remove().run();
        assertEquals(List.of("ca.1 3", "ca.1 3"), runs);
    }

    @Test
    void tooManyJobsWaitingIsRefused() {
        HomeFolds folds = new HomeFolds("ca", (job, keep) -> null, manual);
        for (int i = 1; i <= HomeFolds.MAX_WAITING; i++) assertNull(folds.request("ca." + i, 3));

        assertEquals("busy: the checkpoints of 64 jobs wait to be folded", folds.request("ca.999", 3));
        assertNull(folds.request("ca.1", 3), "a job already waiting is coalesced still");
    }
}
