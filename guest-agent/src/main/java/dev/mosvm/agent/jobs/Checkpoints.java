package dev.mosvm.agent.jobs;

import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.agent.wire.JobSpec;
import java.io.IOException;

/**
 * Checkpoints of jobs, as the job socket and the API ask for them: the checkpoint package
 * implements it (jobs/ does not reach into it), and until the agent sets one, jobs have none.
 */
public interface Checkpoints {
    /** Takes a checkpoint of {@code job} now, for user {@code uid} (0 may ask for any job); throws with a one-line reason. */
    CheckpointRecord checkpoint(String job, int uid) throws IOException;

    /** The latest checkpoint of a job running here, or null if it has none (what `mosps -v` shows). */
    CheckpointRecord latest(Job job);

    /**
     * A checkpoint found, verified and owned by the caller ({@code mosrun -R}), ready to restore
     * on this node; throws with a one-line reason (missing, incomplete, damaged, altered, another
     * user's).
     */
    Restorable prepare(String reference, int uid) throws IOException;

    /** The job exited by itself (a status below 128) and its caller heard it: its checkpoints are no longer needed. */
    default void ended(JobSpec spec) {}

    /** The job has no checkpoint at all (as opposed to one that cannot be used). */
    final class NoCheckpoint extends IOException {
        public NoCheckpoint(String message) {
            super(message);
        }
    }

    /** A verified checkpoint. */
    interface Restorable {
        /** The job as it was checkpointed. */
        JobSpec spec();

        /** "JOB/N", for messages. */
        String name();

        /** Restores it here, stopped and not yet in the table; its output counts continue from the checkpoint's. */
        Job restore() throws IOException;
    }

    Checkpoints NONE = new Checkpoints() {
        @Override
        public Restorable prepare(String reference, int uid) throws IOException {
            throw new NoCheckpoint("no checkpoint of " + reference + ": checkpoints are not available on this node");
        }

        @Override
        public CheckpointRecord checkpoint(String job, int uid) throws IOException {
            throw new IOException("checkpoints are not available on this node");
        }

        @Override
        public CheckpointRecord latest(Job job) {
            return null;
        }
    };
}
