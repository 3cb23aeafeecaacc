package dev.mosvm.agent.pool;

import dev.mosvm.agent.checkpoint.CheckpointStore;
import dev.mosvm.agent.checkpoint.Checkpointer;
import dev.mosvm.agent.guard.Workers;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * Home's side of keeping its jobs' checkpoints few: {@link CheckpointStore#compact} of a job
 * this node is home of, run here, on this node's own disk and CPU, once the node the job runs
 * on has sealed a checkpoint and asked. A fold reads and sums the whole full base of a chain:
 * on the job's node that would be over NFS and on the job's own CPU, every few minutes.
 *
 * <p>Asking never waits for a fold. Folds run on a few threads ({@link #AT_ONCE} jobs at a
 * time), one fold per job at a time; asking again for a job whose fold waits to start changes
 * nothing, and asking while it runs makes it run once more after (the runner may have sealed
 * another checkpoint meanwhile). At most {@link #MAX_WAITING} jobs wait; asking for more is
 * refused, and the runner asks again at its next checkpoint.
 */
public final class HomeFolds implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HomeFolds.class.getName());
    /** How many jobs' checkpoints are folded at once: each fold reads a job's whole memory from disk. */
    static final int AT_ONCE = 2;
    /** How many jobs may wait for a fold. */
    static final int MAX_WAITING = 64;

    private final String self;
    private final Compaction compaction;
    private final Executor folders;
    private final ExecutorService owned;
    /** Jobs asked for and not started yet, with the count to keep. */
    private final Map<String, Integer> waiting = new HashMap<>();
    /** Jobs being folded now. */
    private final Set<String> running = new HashSet<>();
    /** Jobs whose last fold was refused, so the reason is logged once, not at every checkpoint. */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();

    /** What a fold does: {@link CheckpointStore#compact}. */
    interface Compaction {
        /** @return why a fold was refused, or null */
        String compact(String job, int keep) throws IOException;
    }

    /** Folds in {@code store}, this node's own checkpoints, on threads of its own. */
    public HomeFolds(String self, CheckpointStore store) {
        this(self, store::compact, Workers.queued(AT_ONCE, MAX_WAITING, "checkpoint-fold"));
    }

    /** As above, compacting with {@code compaction} on {@code folders} (a test counts them, and runs them when it chooses). */
    HomeFolds(String self, Compaction compaction, Executor folders) {
        this.self = self;
        this.compaction = compaction;
        this.folders = folders;
        this.owned = folders instanceof ExecutorService e ? e : null;
    }

    /**
     * Asks for job {@code job}'s checkpoints to be folded and pruned to its last {@code keep};
     * returns at once.
     *
     * @return null when the fold will run (or is coalesced with one that will), else why not, one line
     */
    public String request(String job, int keep) {
        String home;
        try {
            home = Checkpointer.homeOfReference(job);
        } catch (IOException e) {
            return e.getMessage();
        }
        if (!home.equals(self)) return "the home of job " + job + " is " + home + ", not " + self + ": its checkpoints are folded there";
        synchronized (this) {
            if (waiting.containsKey(job)) {
                waiting.put(job, keep); // coalesced with the fold waiting to start
                return null;
            }
            if (waiting.size() >= MAX_WAITING) return "busy: the checkpoints of " + MAX_WAITING + " jobs wait to be folded";
            waiting.put(job, keep);
            if (running.contains(job)) return null; // runs again once the fold now running ends
            return start(job);
        }
    }

    /** Starts folding {@code job} (waiting); null, or why it cannot start. */
    private String start(String job) {
        try {
            folders.execute(() -> fold(job));
            return null;
        } catch (RejectedExecutionException e) {
            waiting.remove(job);
            return "folds are stopped on " + self;
        }
    }

    private void fold(String job) {
        int keep;
        synchronized (this) {
            Integer k = waiting.remove(job);
            if (k == null) return;
            keep = k;
            running.add(job);
        }
        try {
            long t0 = System.nanoTime();
            String why = compaction.compact(job, keep);
            LOG.info("checkpoints of " + job + " compacted in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            if (why == null) refused.remove(job);
            else if (refused.add(job)) LOG.info("checkpoints of " + job + " not folded (" + why + "): its next checkpoint is full");
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot compact the checkpoints of " + job + ": " + e.getMessage());
        } finally {
            synchronized (this) {
                running.remove(job);
                if (waiting.containsKey(job)) start(job);
            }
        }
    }

    /** Whether any fold is waiting or running (for tests and shutdown). */
    synchronized boolean busy() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    @Override
    public void close() {
        if (owned != null) owned.shutdown();
    }
}
