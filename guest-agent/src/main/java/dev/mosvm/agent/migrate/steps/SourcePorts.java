package dev.mosvm.agent.migrate.steps;

import java.io.IOException;

/**
 * What the source's side of a move does to the world, one call per step. Each step is given its
 * deadline (clock milliseconds, as {@link SourceMachine#deadline()}) and must end by then: the
 * real edge sets the channel's read timeout to it and kills a criu still running at it. A step
 * that fails throws, with a one-line reason.
 */
public interface SourcePorts {
    /** Sends the offer and waits for the target's ACCEPT. */
    void offer(long deadline) throws IOException;

    /** The pre-copy policy: whether another round should run before the freeze (asked after each round, and before the first). */
    boolean anotherRound();

    /** Pre-copy round {@code round} (from 1) while the job runs. */
    void preDump(int round, long deadline) throws IOException;

    /** The final dump, round {@code round}, leaving the job stopped here. */
    void dump(int round, long deadline) throws IOException;

    /** Has the target restore round {@code round}, stopped, and waits for RESTORED. */
    void restore(int round, long deadline) throws IOException;

    /** Hands the job over (what it was sent meanwhile goes with COMMIT) and waits for RUNNING. */
    void commit(long deadline) throws IOException;

    /** The job's processes here have ended. */
    boolean jobEnded();

    /** Lets the job run on here: resumed if frozen, what reached it meanwhile delivered, control back here. */
    void resumeHere() throws IOException;

    /** The job ended here during the move: control back here, its end reported as usual. */
    void endedHere();

    /** Kills the stopped copy here and hands its last output home: the target runs the job. */
    void retireHere();

    /** Home's verdict on which copy lives ({@code NO_ANSWER} if it cannot be had by the deadline). */
    Settlement.HomeWord askHome(long deadline);

    /** The target's answer to "do you run the job?", or null if none came by the deadline. */
    Boolean targetHas(long deadline);

    boolean homeGone();

    boolean targetGone();

    /** Waits {@code millis} before asking again (the job stays frozen). */
    void pause(long millis);
}
