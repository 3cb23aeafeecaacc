package dev.mosvm.agent.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner takes checkpoints (parent as {@link Retention#parentFor} picks it, reserve, write,
 * seal, read its chain's size as its record does) while home compacts the same job's
 * checkpoints, at the same time, on one store: no take fails, and every checkpoint kept
 * verifies and restores what the runner dumped, checked every 25 takes while holding the
 * job's checkpoints as a restore at home does ({@link CheckpointStore#holding}), and at the end.
 */
class ConcurrentFoldTest {
    static final int TAKES = 300;
    static final int KEEP = 2;

    @TempDir
    Path tmp;

    @Test
    void foldsAtHomeAndTakesByTheRunnerDoNotDisturbEachOther() throws Exception {
        CheckpointStore store = CheckpointChains.store(tmp);
        Map<Integer, int[]> dumped = new ConcurrentHashMap<>();
        AtomicBoolean taking = new AtomicBoolean(true);
        AtomicInteger compactions = new AtomicInteger();
        AtomicInteger incremental = new AtomicInteger();

        CompletableFuture<Void> home = CompletableFuture.runAsync(() -> {
            try {
                while (taking.get() && compactions.get() < 100 * TAKES) {
                    store.compact(CheckpointChains.JOB, KEEP);
                    compactions.incrementAndGet();
                }
            } catch (Exception e) {
                throw new AssertionError("home's compaction failed", e);
            }
        });
        CompletableFuture<Void> runner = CompletableFuture.runAsync(() -> {
            try {
                Integer last = null;
                for (int i = 0; i < TAKES; i++) {
                    int parent = Retention.parentFor(store.history(CheckpointChains.JOB), last, KEEP + 1);
                    if (parent != 0) incremental.incrementAndGet();
                    int n = CheckpointChains.take(store, parent);
                    dumped.put(n, CheckpointChains.memoryAfter(n, parent, parent == 0 ? null : dumped.get(parent)));
                    Checkpointer.record(store, store.latest(CheckpointChains.JOB).orElseThrow()); // its size is -1 if a fold changed its chain meanwhile
                    last = n;
                    if (n % 25 == 0) {
                        int after = n;
                        store.holding(CheckpointChains.JOB, () -> { // as a restore at home holds them: no fold moves a file meanwhile
                            for (int k : CheckpointChains.sealed(store)) {
                                store.verify(CheckpointChains.JOB + "/" + k, 0);
                                assertArrayEquals(dumped.get(k), CheckpointChains.restored(store, k), "checkpoint " + k + " after " + after);
                            }
                            return null;
                        });
                    }
                }
            } catch (Exception e) {
                throw new AssertionError("the runner's checkpoint failed", e);
            } finally {
                taking.set(false);
            }
        });
        runner.get(5, TimeUnit.MINUTES);
        home.get(1, TimeUnit.MINUTES);

        List<Integer> left = CheckpointChains.sealed(store);
        assertEquals(TAKES, left.get(left.size() - 1), "the newest is kept");
        for (int n : left) assertArrayEquals(dumped.get(n), CheckpointChains.restored(store, n), "checkpoint " + n + " at the end");
        assertTrue(incremental.get() > TAKES / 2, "folds kept the chains going: " + incremental + " of " + TAKES + " incremental");
        assertEquals(null, store.compact(CheckpointChains.JOB, KEEP));
        assertTrue(CheckpointChains.sealed(store).size() <= KEEP, "compacted down to -N: " + CheckpointChains.sealed(store)
                + " of " + store.history(CheckpointChains.JOB));
    }
}
