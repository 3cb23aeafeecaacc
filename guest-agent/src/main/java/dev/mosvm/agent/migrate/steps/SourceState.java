package dev.mosvm.agent.migrate.steps;

/**
 * Where the source's side of a move stands. Until {@link #COMMITTED} the job is the source's:
 * every failure leaves it running here. From the commit on, the target may run it, and only
 * {@link #SETTLING} decides which copy lives.
 */
public enum SourceState {
    /** The offer is sent; the target's ACCEPT is awaited. */
    OFFERED,
    /** Pre-copy rounds while the job runs (none for a stop-and-copy move); one deadline per round. */
    PRECOPY,
    /** The final dump: the job is frozen here, its last pages go to the target. */
    DUMPING,
    /** The target restores the job, stopped; its RESTORED is awaited. */
    RESTORING,
    /** COMMIT is sent: the target's copy is the job once it answers RUNNING. */
    COMMITTED,
    /** The commit's answer was lost: home, then the target, are asked which copy runs; the job stays frozen here meanwhile. */
    SETTLING,
    /** The job runs on the target; the stopped copy here is retired. */
    MOVED,
    /** The job runs on here, resumed if it was frozen; the target dropped (or drops at its deadline) any copy. */
    STAYED,
    /** The job ended here during the move: it ended once, and nothing runs anywhere. */
    ENDED;

    public boolean terminal() {
        return this == MOVED || this == STAYED || this == ENDED;
    }
}
