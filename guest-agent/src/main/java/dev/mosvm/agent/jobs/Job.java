package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A job running on this node: its launcher process (the namespace launcher for a job started
 * here, the restore supervisor for one that arrived by migration), its cgroup, and where its
 * output goes. Its state guards migration: signals that arrive while it is being moved are
 * held and delivered wherever it ends up.
 */
public final class Job {
    private static final Logger LOG = Logger.getLogger(Job.class.getName());

    public enum State { RUNNING, MIGRATING, MOVED }

    private volatile JobSpec spec;
    private final Process launcher;
    private final Path cgroup;
    private final Instant startedHere = Instant.now();
    private volatile JobSink sink;
    private volatile State state = State.RUNNING;
    private volatile boolean stdinClosed;
    private final List<Integer> heldSignals = new ArrayList<>();
    private final List<Thread> pumps = new ArrayList<>();

    Job(JobSpec spec, Process launcher, Path cgroup, JobSink sink) {
        this.spec = spec;
        this.launcher = launcher;
        this.cgroup = cgroup;
        this.sink = sink;
    }

    public String id() {
        return spec.id();
    }

    public JobSpec spec() {
        return spec;
    }

    public void spec(JobSpec s) {
        spec = s;
    }

    public int uid() {
        return spec.uid();
    }

    public List<String> argv() {
        return spec.argv();
    }

    public Instant started() {
        return Instant.parse(spec.started());
    }

    public Instant startedHere() {
        return startedHere;
    }

    public Path cgroup() {
        return cgroup;
    }

    public State state() {
        return state;
    }

    public boolean stdinClosed() {
        return stdinClosed;
    }

    public Process launcher() {
        return launcher;
    }

    public void sink(JobSink s) {
        sink = s;
    }

    /** Claims the job for a migration; false if one is already under way or it has left. */
    public synchronized boolean beginMigration() {
        if (state != State.RUNNING || !launcher.isAlive()) return false;
        state = State.MIGRATING;
        return true;
    }

    /** The migration failed and the job runs on here: deliver what was held. */
    public void migrationAborted() {
        List<Integer> held;
        synchronized (this) {
            state = State.RUNNING;
            held = List.copyOf(heldSignals);
            heldSignals.clear();
        }
        for (int s : held) signalQuietly(s);
    }

    /** The job now runs elsewhere; returns the signals to deliver there. */
    public synchronized List<Integer> migrated() {
        state = State.MOVED;
        List<Integer> held = List.copyOf(heldSignals);
        heldSignals.clear();
        return held;
    }

    void sinkExited(int status) {
        sink.exited(status);
    }

    public JobSink sink() {
        return sink;
    }

    /** Starts relaying the launcher's output to the sink. */
    void startPumps() {
        pumps.add(pump(launcher.getInputStream(), JobFrames.STDOUT));
        pumps.add(pump(launcher.getErrorStream(), JobFrames.STDERR));
    }

    /** Waits until every byte of output has been handed to the sink (the job's pipes closed). */
    public void drainOutput() throws InterruptedException {
        for (Thread t : pumps) t.join();
    }

    private Thread pump(InputStream from, int kind) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (from) {
                for (int n; (n = from.read(buf)) > 0; ) {
                    try {
                        sink.output(kind, buf, n);
                    } catch (IOException e) {
                        // the caller is gone: keep draining so the job never blocks on a full pipe
                    }
                }
            } catch (IOException e) {
                LOG.fine("output of " + id() + " ended: " + e);
            }
        }, "job-output-" + id());
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Input, end of input or a signal from the caller. */
    public void control(JobFrames.Frame f) throws IOException {
        switch (f.kind()) {
            case JobFrames.STDIN -> {
                OutputStream in = launcher.getOutputStream();
                in.write(f.payload());
                in.flush();
            }
            case JobFrames.STDIN_EOF -> {
                stdinClosed = true;
                launcher.getOutputStream().close();
            }
            case JobFrames.SIGNAL -> signalQuietly(f.asInt());
            default -> throw new IOException("unexpected frame " + f.kind());
        }
    }

    /** Sends a signal now, or holds it while the job is being moved. */
    public void signalQuietly(int signal) {
        synchronized (this) {
            if (state == State.MIGRATING) {
                heldSignals.add(signal);
                return;
            }
        }
        try {
            signal(signal);
        } catch (IOException | InterruptedException e) {
            LOG.warning("cannot signal job " + id() + ": " + e);
        }
    }

    /** Resolves the end of input a caller already sent before the job moved here. */
    public void closeInput() throws IOException {
        stdinClosed = true;
        launcher.getOutputStream().close();
    }

    /**
     * The job's init (tini, PID 1 of its namespace): the launcher's child (for a restored job,
     * once CRIU has handed it over). Signals go to it, and CRIU dumps the tree from it.
     */
    public long initPid() {
        try {
            String children = Files.readString(Path.of("/proc/" + launcher.pid() + "/task/" + launcher.pid() + "/children")).strip();
            return children.isEmpty() ? -1 : Long.parseLong(children.split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Delivers a signal to the job (tini passes it on to the program). */
    public void signal(int signal) throws IOException, InterruptedException {
        long init = -1;
        for (int i = 0; i < 50 && (init = initPid()) < 0 && launcher.isAlive(); i++) Thread.sleep(20); // just started
        if (init < 0) return; // already gone
        Process kill = new ProcessBuilder("kill", "-s", String.valueOf(signal), String.valueOf(init)).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        kill.waitFor(5, TimeUnit.SECONDS);
    }

    /** Lets every process of the job run again after CRIU left it stopped. */
    public void resume() throws IOException {
        if (cgroup == null) throw new IOException("job " + id() + " has no cgroup to resume");
        List<String> cmd = new ArrayList<>(List.of("kill", "-CONT"));
        for (String pid : Files.readAllLines(cgroup.resolve("cgroup.procs"))) if (!pid.isBlank()) cmd.add(pid.strip());
        if (cmd.size() == 2) throw new IOException("job " + id() + " has no processes left to resume");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) throw new IOException("kill -CONT failed for job " + id());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
