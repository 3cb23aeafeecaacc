package dev.mosvm.agent.migrate.steps;

import java.io.IOException;

/**
 * What the target's side of a move does to the world, for {@link TargetMove}. Each wait and
 * each step is given its deadline (clock milliseconds, as {@link TargetMachine#deadline()}) and
 * must end by then; a step that fails throws with a one-line reason.
 */
public interface TargetPorts {
    /** Reads the source's next frame by the deadline; what it is to the steps (an ABORT or unknown frame throws). */
    TargetMachine.Event next(long deadline) throws IOException;

    /** Takes the round frame just read (starts a page server, or receives the round's files) and answers it. */
    void round(long deadline) throws IOException;

    /** Restores the job from the last round, stopped (answering ERROR if it cannot). */
    void restore(long deadline) throws IOException;

    /** Answers RESTORED. */
    void restored() throws IOException;

    /** Takes the committed copy into the job table (held input waits behind the source's), before it runs. */
    void register() throws IOException;

    /** Lets the copy run. */
    void resume() throws IOException;

    /** Answers RUNNING and connects the running copy's output home, with what reached it meanwhile. */
    void running() throws IOException;

    /** Takes the source's record of the move. */
    void record() throws IOException;

    /** The move failed before the copy ran: takes it out of the table if it was in, and kills it. */
    void drop(String why);

    /** The channel failed after the copy runs here: nothing changes but the log. */
    void afterRunning(String why);
}
