package dev.mosvm.agent.migrate.steps;

/**
 * Where the target's side of a move stands. Before {@link #RUNNING} the job is the source's:
 * every failure, and every deadline passed, drops the copy here ({@link #DROPPED}).
 */
public enum TargetState {
    /** The offer passed the gate; the first round is awaited. */
    ACCEPTED,
    /** Image rounds arrive (pages through the page server, files over the channel). */
    RECEIVING,
    /** CRIU restores the job here, stopped. */
    RESTORING,
    /** A stopped copy is here; the source's COMMIT is awaited (without it the copy is dropped at the deadline). */
    RESTORED,
    /** Committed: the copy is in the job table (so "does it run here?" says yes) and is being resumed. */
    REGISTERED,
    /** The job runs here; the source's record of the move is awaited, and losing it changes nothing. */
    RUNNING,
    /** The move failed: any copy here is killed, the job runs on at the source. */
    DROPPED;

    public boolean terminal() {
        return this == DROPPED;
    }
}
