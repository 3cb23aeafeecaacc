package dev.mosvm.agent.jobs;

import java.io.IOException;

/**
 * Where a running job's output and end go: straight to its caller when it runs at home, or
 * over the peer channel to its home agent when it runs elsewhere.
 */
public interface JobSink {
    /** A chunk of output; kind is {@link JobFrames#STDOUT} or {@link JobFrames#STDERR}. */
    void output(int kind, byte[] b, int n) throws IOException;

    /** The job ended here with this status (128 + signal if a signal ended it). */
    void exited(int status);

    /** The job left this node; all its output from here was delivered before this call. */
    void moved();
}
