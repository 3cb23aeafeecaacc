package dev.mosvm.agent.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.mosvm.api.MigrationRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * What travels with a job wherever it runs: its pool-wide id, home node, owner, command,
 * start time, whether it is pinned to its home ({@code mosrun -L}: never moved), whether the
 * balancer must leave it where it is ({@code stay}: {@code mosrun -r NODE}), why it started
 * where it did, the work it did on the nodes it left, and its migrations.
 *
 * @param placement  how its first node was chosen: "home" (-L), "requested" (-r), "placed" (best node)
 * @param placedWhy  one line on that choice, for mosps
 * @param workBefore reference-core seconds it ran on nodes before this one
 * @param checkpointEvery minutes between periodic checkpoints (mosrun -A; 0: only when asked)
 * @param keepCheckpoints how many of its checkpoints its home keeps (mosrun -N)
 * @param epoch      which copy of the job this is: raised each time home brings it back from a
 *                   checkpoint after its node was lost, so an older copy (a node that comes back
 *                   after a partition) is told apart and stopped (a fencing token); a move keeps it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobSpec(String id, String home, int uid, int gid, List<String> argv, String started, boolean pinned,
                      List<MigrationRecord> migrations, boolean stay, String placement, String placedWhy, double workBefore,
                      int checkpointEvery, int keepCheckpoints, int epoch) {
    /** Checkpoints kept when mosrun -N does not say. */
    public static final int DEFAULT_KEEP = 3;

    public JobSpec {
        argv = List.copyOf(argv);
        migrations = migrations == null ? List.of() : List.copyOf(migrations);
        if (keepCheckpoints <= 0) keepCheckpoints = DEFAULT_KEEP; // absent in a peer's older frame
        if (checkpointEvery < 0) checkpointEvery = 0;
    }

    /** A new job, before it has run anywhere. */
    public static JobSpec fresh(String id, String home, int uid, int gid, List<String> argv, String started, boolean pinned, boolean stay,
                                String placement, String placedWhy) {
        return new JobSpec(id, home, uid, gid, argv, started, pinned, List.of(), stay, placement, placedWhy, 0, 0, DEFAULT_KEEP, 0);
    }

    /** The job after move {@code m}, which carries the work it had done by then. */
    public JobSpec movedBy(MigrationRecord m) {
        List<MigrationRecord> all = new ArrayList<>(migrations);
        all.add(m);
        return new JobSpec(id, home, uid, gid, argv, started, pinned, all, stay, placement, placedWhy, Math.max(workBefore, m.workDone()),
                checkpointEvery, keepCheckpoints, epoch);
    }

    /** The job checkpointed every {@code minutes} (0: only when asked), its home keeping the last {@code keep}. */
    public JobSpec checkpointed(int minutes, int keep) {
        return new JobSpec(id, home, uid, gid, argv, started, pinned, migrations, stay, placement, placedWhy, workBefore, minutes, keep, epoch);
    }

    /**
     * The next copy of the job, brought back from a checkpoint: its epoch above this one's and
     * above {@code newest} (the newest copy home knows of: the checkpoint may be older than it);
     * {@code why} is how it runs now.
     */
    public JobSpec recovered(int newest, boolean pinned, boolean stay, String placement, String why) {
        return new JobSpec(id, home, uid, gid, argv, started, pinned, migrations, stay, placement, why, workBefore, checkpointEvery,
                keepCheckpoints, Math.max(epoch, newest) + 1);
    }

    /** The same copy of the job, known from now on as epoch {@code e} (home settled a move's unanswered commit for it). */
    public JobSpec withEpoch(int e) {
        return new JobSpec(id, home, uid, gid, argv, started, pinned, migrations, stay, placement, placedWhy, workBefore, checkpointEvery,
                keepCheckpoints, e);
    }

    /** Whether the balancer may move it (the user still may, unless it is pinned). */
    public boolean balanced() {
        return !pinned && !stay;
    }

    /** Why it is where it is: its last move's reason, or how it was placed. */
    public String reason() {
        if (!migrations.isEmpty()) {
            MigrationRecord last = migrations.get(migrations.size() - 1);
            return last.reason() == null ? "moved" : last.reason();
        }
        return placement == null ? "home" : placement;
    }

    public String reasonWhy() {
        if (!migrations.isEmpty()) return migrations.get(migrations.size() - 1).why();
        return placedWhy;
    }
}
