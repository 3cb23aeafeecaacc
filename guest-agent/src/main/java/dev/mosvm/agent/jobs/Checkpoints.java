package dev.mosvm.agent.jobs;

import dev.mosvm.api.CheckpointRecord;
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

    Checkpoints NONE = new Checkpoints() {
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
