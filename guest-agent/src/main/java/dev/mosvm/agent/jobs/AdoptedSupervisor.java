package dev.mosvm.agent.jobs;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * A supervisor a previous agent started, adopted by this one: its job's pipes opened again
 * through /proc/PID/fd (opening a pipe's fd there opens the pipe itself, as a FIFO: fd 0 for
 * writing, 1 and 2 for reading). Not this agent's child, so its status comes from the file it
 * writes before it exits ({@link JobRecords#STATUS}).
 */
final class AdoptedSupervisor implements Supervisor {
    private static final Logger LOG = Logger.getLogger(AdoptedSupervisor.class.getName());
    /** The status of a supervisor that left none: only SIGKILL ends it before it writes one. */
    static final int KILLED = 128 + 9;
    private final ProcessHandle handle;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final CompletableFuture<Integer> exit;

    private AdoptedSupervisor(ProcessHandle handle, OutputStream stdin, InputStream stdout, InputStream stderr, Path status) {
        this.handle = handle;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.exit = handle.onExit().thenApply(h -> statusIn(status, h.pid()));
    }

    /**
     * Adopts supervisor {@code pid}, which writes its status to {@code status}; its job's input
     * is not opened if it has ended ({@code inputEnded}: holding it would keep the job from EOF).
     */
    static AdoptedSupervisor adopt(long pid, Path status, boolean inputEnded) throws IOException {
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new IOException("supervisor " + pid + " has ended"));
        JobPipes.requirePipe(pid, 0);
        InputStream[] output = JobPipes.open(pid);
        try {
            OutputStream in = inputEnded ? OutputStream.nullOutputStream() : new FileOutputStream(JobPipes.fd(pid, 0).toFile());
            return new AdoptedSupervisor(h, in, output[0], output[1], status);
        } catch (IOException e) {
            output[0].close();
            output[1].close();
            throw e;
        }
    }

    /** The status in {@code file}, or {@link #KILLED} if there is none. */
    static int statusIn(Path file, long pid) {
        try {
            return Integer.parseInt(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            LOG.warning("supervisor " + pid + " left no status in " + file + " (" + e.getMessage() + "): taken as killed");
            return KILLED;
        }
    }

    @Override
    public long pid() {
        return handle.pid();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
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
    public void destroy() {
        handle.destroy();
    }

    @Override
    public void destroyForcibly() {
        handle.destroyForcibly();
    }

    @Override
    public void endInput() throws IOException {
        stdin.close();
        StreamHolds.letGoOfInput(pid());
    }
}
