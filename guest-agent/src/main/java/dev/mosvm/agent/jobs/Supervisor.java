package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The process a job runs under on this node ({@code mosvm-launch} for a job started here, the
 * restore supervisor for one restored here): the job's standard streams are its, and it ends
 * with the job's status. Either this agent started it ({@link #of(Process, boolean)}), or a
 * previous agent did and this one adopted it after a restart ({@link AdoptedSupervisor}).
 */
public interface Supervisor {
    long pid();

    /** The job's standard input, written by this agent. */
    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    /** The status it ends with: the job's (128 + signal if a signal ended it). */
    CompletableFuture<Integer> exit();

    default boolean isAlive() {
        return !exit().isDone();
    }

    default int waitFor() throws InterruptedException {
        try {
            return exit().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the supervisor of a job ended without a status", e.getCause());
        }
    }

    /** Whether it ended within the time given. */
    default boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit().get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** SIGTERM. */
    void destroy();

    /** SIGKILL. */
    void destroyForcibly();

    /**
     * The caller's input has ended: this agent's end of the job's input closes, and a supervisor
     * that holds the input open for a restart lets go of it, so the job reads EOF.
     */
    void endInput() throws IOException;

    /**
     * A supervisor this agent started.
     *
     * @param holdsStreams whether it was told to hold the job's streams open (its job directory given)
     */
    static Supervisor of(Process p, boolean holdsStreams) {
        InputStream[] output = holdsStreams ? JobPipes.of(p) : new InputStream[] {p.getInputStream(), p.getErrorStream()};
        InputStream stdout = output[0];
        InputStream stderr = output[1];
        return new Supervisor() {
            private final CompletableFuture<Integer> exit = p.onExit().thenApply(Process::exitValue);

            @Override
            public long pid() {
                return p.pid();
            }

            @Override
            public OutputStream stdin() {
                return p.getOutputStream();
            }

            @Override
            public InputStream stdout() {
                return stdout;
            }

            @Override
            public InputStream stderr() {
                return stderr;
            }

            @Override
            public CompletableFuture<Integer> exit() {
                return exit;
            }

            @Override
            public boolean isAlive() {
                return p.isAlive();
            }

            @Override
            public int waitFor() throws InterruptedException {
                return p.waitFor();
            }

            @Override
            public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
                return p.waitFor(timeout, unit);
            }

            @Override
            public void destroy() {
                p.destroy();
            }

            @Override
            public void destroyForcibly() {
                p.destroyForcibly();
            }

            @Override
            public void endInput() throws IOException {
                p.getOutputStream().close();
                if (holdsStreams) StreamHolds.letGoOfInput(p.pid());
            }
        };
    }
}
