package dev.mosvm.agent.migrate.steps;

/** How one step of a move ended, as the edge that ran it saw it. */
public enum Outcome {
    /** The step did what it should (the answer came). */
    DONE,
    /** Pre-copy only: the policy wants no more rounds, the job is to be frozen. */
    FREEZE,
    /** The step failed with a reason (the peer's ERROR, a failed criu, a broken stream). */
    FAILED,
    /** The step's deadline passed before it ended (the edge stopped waiting or killed criu). */
    LATE,
    /** The connection ended with no answer. */
    ANSWER_LOST,
    /** The pool declares the other node gone. */
    PEER_GONE,
    /** The job's processes ended. */
    JOB_ENDED;

    public boolean failure() {
        return this != DONE && this != FREEZE;
    }
}
