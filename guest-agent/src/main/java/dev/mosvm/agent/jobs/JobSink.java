package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.MessageType;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Where a running job's output and end go: straight to its caller when it runs at home, or
 * over the peer channel to its home agent when it runs elsewhere.
 */
public interface JobSink {
    /** A chunk of output; kind is {@link MessageType#STDOUT} or {@link MessageType#STDERR}. */
    void output(MessageType kind, byte[] b, int n) throws IOException;

    /**
     * The output that follows begins at {@code out} bytes of the job's stdout and {@code err} of
     * its stderr (counted from the job's start): said once, before the first chunk.
     * {@code lastOutput} writes the job's last output read on this node, positioned (its
     * {@link OutputTail}, which a previous agent may have begun): a sink that cannot tell
     * whether what it sent arrived sends it again.
     */
    default void startsAt(long out, long err, LastOutput lastOutput) {}

    /** Writes a job's last output read here as POSITION and output frames. */
    interface LastOutput {
        /** @param upTo per stream, the position (counted from the job's start) to stop before; null for all */
        void replayTo(DataOutputStream out, long[] upTo) throws IOException;
    }

    /** The job ended here with this status (128 + signal if a signal ended it). */
    void exited(int status);

    /**
     * The job died here of a dump of it ({@link DumpDeath}), not of anything it did: it is lost
     * as with a lost node, and home brings it back from its checkpoint or tells its caller why.
     * A sink with nowhere to do that reports the status.
     */
    default void diedOfDump(int status, String why) {
        exited(status);
    }

    /** The job left this node; all its output from here was delivered before this call. */
    void moved();

    /**
     * A move of the job begins: once this returns, the caller's input and signals stay at home
     * until the job runs at its next node (or {@link #keepControl} says it stays), so none is
     * written into a copy that is about to be retired.
     */
    default void holdControl() {}

    /** The move failed: the caller's input and signals come here again. */
    default void keepControl() {}

    /**
     * The copy this sink was made for is dropped before it ever ran (its move failed): nothing
     * more comes through it, and what it holds or waits for on the job's behalf is let go.
     */
    default void abandon() {}
}
