package dev.mosvm.agent.jobs;

import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A job running on this node: its launcher process (the namespace launcher for a job started
 * here, the restore supervisor for one that arrived by migration), its cgroup, and where its
 * output goes. Its state guards migration: signals and input that arrive while it is being
 * moved are held and delivered wherever it ends up (input written into the pipe of a copy
 * about to be retired would be lost with it).
 */
public final class Job {
    private static final Logger LOG = Logger.getLogger(Job.class.getName());

    public enum State { RUNNING, MIGRATING, MOVED }

    private volatile JobSpec spec;
    private final Supervisor launcher;
    private final Path cgroup;
    private final Instant startedHere = Instant.now();
    private volatile JobSink sink;
    private volatile State state = State.RUNNING;
    private volatile boolean stdinClosed;
    private final List<Integer> heldSignals = new ArrayList<>();
    private final ByteArrayOutputStream heldInput = new ByteArrayOutputStream();
    private boolean heldEof;
    private final List<Thread> pumps = new CopyOnWriteArrayList<>();
    /** Bytes of stdout and stderr the job wrote before this copy (a restored checkpoint's), and read from it here since. */
    private volatile long outBefore;
    private volatile long errBefore;
    private final OutputCounts here;
    /** Bytes read from the job here, counted as soon as each read returns (before the tail and {@link #here}): a stopped job's exact count. */
    private final java.util.concurrent.atomic.AtomicLongArray readHere = new java.util.concurrent.atomic.AtomicLongArray(2);
    /** The last output read here, kept for the agent that adopts the job after this one ({@link OutputTail}). */
    private final OutputTail tail;
    /** Told when what a restarted agent needs to adopt this job changes (its spec, its input's end). */
    private volatile Runnable changed = () -> {};

    Job(JobSpec spec, Process launcher, Path cgroup, JobSink sink) {
        this(spec, Supervisor.of(launcher, false), cgroup, sink, OutputCounts.inMemory(), OutputTail.none());
    }

    Job(JobSpec spec, Supervisor launcher, Path cgroup, JobSink sink, OutputCounts here, OutputTail tail) {
        this.spec = spec;
        this.launcher = launcher;
        this.cgroup = cgroup;
        this.sink = sink;
        this.here = here;
        this.tail = tail;
        readHere.set(0, here.get(OutputCounts.STDOUT)); // an adopted job's reads by the previous agent
        readHere.set(1, here.get(OutputCounts.STDERR));
    }

    OutputTail tail() {
        return tail;
    }

    /** Runs {@code r} whenever the spec changes or the input ends (the table rewrites the job's record). */
    void onChange(Runnable r) {
        changed = r;
    }

    public String id() {
        return spec.id();
    }

    public JobSpec spec() {
        return spec;
    }

    public void spec(JobSpec s) {
        spec = s;
        changed.run();
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

    /** CPU seconds every process of the job has used here (its cgroup's), or -1 where they are not accounted. */
    public double cpuSeconds() {
        try {
            for (String line : Files.readAllLines(cgroup.resolve("cpu.stat"))) {
                if (line.startsWith("usage_usec ")) return Long.parseLong(line.substring(11).trim()) / 1e6;
            }
        } catch (Exception e) {
            // no cgroup, or not accounted
        }
        return -1;
    }

    /** The job's resident memory here in KiB (its cgroup's), or -1 where it is not accounted. */
    public long rssKb() {
        try {
            return Long.parseLong(Files.readString(cgroup.resolve("memory.current")).trim()) / 1024;
        } catch (Exception e) {
            return -1; // the memory controller is not enabled for the jobs' cgroups
        }
    }

    /** The job's processes and threads here (its cgroup's pids.current), or -1 where they are not counted. */
    public long tasks() {
        try {
            return Long.parseLong(Files.readString(cgroup.resolve("pids.current")).trim());
        } catch (Exception e) {
            return -1; // the pids controller is not enabled for the jobs' cgroups
        }
    }

    public State state() {
        return state;
    }

    public boolean stdinClosed() {
        return stdinClosed;
    }

    /** The images a lazy restore's daemon still copies the job's memory in from, or null once it is all in. */
    private volatile Path memoryFrom;

    /**
     * Whether the job runs before all its memory is in (a lazy restore's daemon still copies it,
     * {@link MemoryArrival}): an agent that restarts meanwhile follows that daemon on.
     */
    public boolean memoryArriving() {
        return memoryFrom != null;
    }

    /** The round of images the job's memory still arrives from, or null. */
    public Path memoryFrom() {
        return memoryFrom;
    }

    /** @param round the images a lazy restore's daemon copies the job's memory in from, or null once every page is in */
    public void memoryArriving(Path round) {
        memoryFrom = round;
        changed.run();
    }

    /** What {@link #stoppedFor()} says of a checkpoint's dump: no other copy of the job can come of it. */
    public static final String CHECKPOINT = "";
    /**
     * What {@link #stoppedFor()} says of a copy restored here and not yet resumed (a move's
     * target, a checkpoint's restore): the copy it came from is the job until it runs.
     */
    public static final String RESTORED = "/restored";
    /** How long after a dump failed the job's death is still taken for the dump's doing: CRIU's failure and the job's end race. */
    static final long DUMP_DEATH_GRACE_MILLIS = 5_000;

    /**
     * The node a move's final dump stops the job for ({@link #CHECKPOINT} for a checkpoint's), or
     * null: a restarted agent finding the job stopped asks home which copy is the job, or, for a
     * checkpoint, lets it run on.
     */
    private volatile String stoppedFor;

    public String stoppedFor() {
        return stoppedFor;
    }

    /**
     * @param target the node a move's dump is about to stop the job for, {@link #CHECKPOINT} or
     *               {@link #RESTORED} (the record says so before the job stops), or null once it
     *               runs here again ({@link #resume} says so itself)
     */
    public void stoppedFor(String target) {
        stoppedFor = target;
        changed.run();
    }

    /** What the dump that failed last was for, and when (monotonic ms): the job may die of it shortly after. */
    private volatile String failedDumpFor;
    private volatile long failedDumpAt;

    /** The dump under way (its {@link #stoppedFor()}) has just failed: criu may have left the job to die of it. */
    public void dumpFailed() {
        String f = stoppedFor;
        if (f == null || RESTORED.equals(f)) return;
        failedDumpAt = Monotonic.millis();
        failedDumpFor = f;
    }

    /**
     * Why the job, which ended at {@code endedAt} (monotonic ms) with {@code status}, died of a
     * dump of it on node {@code node}, or null if the end is its own ({@link DumpDeath}).
     */
    String dumpDeath(String node, int status, long endedAt) {
        String f = failedDumpFor;
        boolean failed = f != null && endedAt - failedDumpAt <= DUMP_DEATH_GRACE_MILLIS;
        String under = stoppedFor;
        if (RESTORED.equals(under)) under = null;
        return DumpDeath.reason(id(), node, status, under != null ? under : failed ? f : null, failed);
    }

    /** Lets a job a dump left stopped (or CRIU, killed in the middle of one, frozen) run again. */
    public void thaw() throws IOException {
        if (cgroup != null) {
            if (Files.exists(cgroup.resolve("cgroup.freeze"))) Files.writeString(cgroup.resolve("cgroup.freeze"), "0");
            resume();
            return;
        }
        // no cgroup (a development run outside an appliance): the supervisor's descendants are the job
        ProcessHandle.of(launcher.pid()).ifPresent(s -> s.descendants().forEach(p -> signal("CONT", p.pid())));
        runs();
    }

    /** The job runs again: no dump (or restore) holds it stopped any more, and its record says so. */
    private void runs() {
        if (stoppedFor != null) stoppedFor(null);
    }

    private static void signal(String sig, long pid) {
        try {
            new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).redirectErrorStream(true).start().waitFor();
        } catch (IOException e) {
            LOG.fine("kill -" + sig + " " + pid + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Supervisor launcher() {
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

    /** Held above this, a caller's input waits (its stream stops being read) until the move ends. */
    static final int HELD_INPUT_LIMIT = 8 << 20;

    /** The migration failed and the job runs on here: deliver what was held, then run as before. */
    public void migrationAborted() {
        finishMove(Held.NONE);
    }

    /** The job now runs elsewhere; returns what to deliver there. */
    public synchronized Held migrated() {
        Held held = takeHeld();
        state = State.MOVED;
        notifyAll();
        return held;
    }

    /**
     * Input the stopped job had not read yet, taken out of its stdin pipe (after the final
     * dump: restore binds the job to a new pipe, so these bytes would die with this copy).
     * They go before anything held since the move began.
     */
    public synchronized void reclaimUnreadInput(byte[] unread) {
        prepend(new Held(List.of(), unread, false));
    }

    /**
     * Ends a move here (a failed one on the source, a committed one on the target): {@code first}
     * (what the source held), then whatever was held here, goes to the job in order, and only
     * then does input flow straight in again. A job that does not read its input must not stall
     * the move, so a thread of the job's own writes it.
     */
    public void finishMove(Held first) {
        synchronized (this) {
            prepend(first);
        }
        Thread t = new Thread(() -> {
            while (true) {
                Held h;
                synchronized (this) {
                    h = takeHeld();
                    notifyAll(); // room again for input waiting on the limit
                    if (h.isEmpty()) {
                        state = State.RUNNING;
                        return;
                    }
                }
                write(h);
            }
        }, "job-held-input-" + id());
        t.setDaemon(true);
        t.start();
    }

    private void prepend(Held first) {
        Held later = takeHeld();
        heldInput.writeBytes(first.input());
        heldInput.writeBytes(later.input());
        heldEof = first.eof() || later.eof();
        heldSignals.addAll(first.signals());
        heldSignals.addAll(later.signals());
    }

    private Held takeHeld() {
        Held h = new Held(List.copyOf(heldSignals), heldInput.toByteArray(), heldEof);
        heldSignals.clear();
        heldInput.reset();
        heldEof = false;
        return h;
    }

    /**
     * What reached a job while it was being moved, in the order to deliver it: input, then end
     * of input, then signals.
     */
    /**
     * What reached the job while it moved; in a move's COMMIT also where its output stood
     * ({@code out}, {@code err}: bytes of stdout and stderr it had written, counted from its
     * start), from which the target's copy counts on.
     */
    public record Held(List<Integer> signals, byte[] input, boolean eof, long out, long err) {
        public static final Held NONE = new Held(List.of(), new byte[0], false);

        public Held(List<Integer> signals, byte[] input, boolean eof) {
            this(signals, input, eof, 0, 0);
        }

        /** The same, with where the job's output stood. */
        public Held at(long[] written) {
            return new Held(signals, input, eof, written[0], written[1]);
        }

        boolean isEmpty() {
            return signals.isEmpty() && input.length == 0 && !eof;
        }
    }

    private void write(Held held) {
        try {
            if (held.input().length > 0) writeInput(held.input());
            if (held.eof()) closeInput();
        } catch (IOException e) {
            LOG.fine("job " + id() + " no longer takes input: " + e.getMessage());
        }
        for (int s : held.signals()) {
            try {
                signal(s);
            } catch (IOException | InterruptedException e) {
                LOG.warning("cannot signal job " + id() + ": " + e);
            }
        }
    }

    private void writeInput(byte[] bytes) throws IOException {
        OutputStream in = launcher.stdin();
        in.write(bytes);
        in.flush();
    }

    void sinkExited(int status) {
        sink.exited(status);
    }

    void sinkDiedOfDump(int status, String why) {
        sink.diedOfDump(status, why);
    }

    public JobSink sink() {
        return sink;
    }

    /** Starts relaying the launcher's output to the sink. */
    void startPumps() {
        long out = outBefore;
        long err = errBefore;
        sink.startsAt(stdoutBytes(), stderrBytes(), (o, upTo) -> tail.replayTo(o, out, err, upTo)); // exact: nothing reads the job's output yet
        pumps.add(pump(launcher.stdout(), MessageType.STDOUT));
        pumps.add(pump(launcher.stderr(), MessageType.STDERR));
    }

    /** The output this copy continues from: what the job had written when its checkpoint was taken. */
    public void outputBefore(long out, long err) {
        outBefore = out;
        errBefore = err;
        changed.run();
    }

    long outBefore() {
        return outBefore;
    }

    long errBefore() {
        return errBefore;
    }

    /** Bytes of stdout the job has written so far that were read from it (on this node and, for a restored copy, before). */
    public long stdoutBytes() {
        return outBefore + here.get(OutputCounts.STDOUT);
    }

    public long stderrBytes() {
        return errBefore + here.get(OutputCounts.STDERR);
    }

    /**
     * Bytes of the job's stdout (stream 0) or stderr (1) read from its pipe so far, this copy's
     * and before: unlike {@link #stdoutBytes()}, a chunk counts as soon as it is read.
     */
    public long readSoFar(int stream) {
        return (stream == 0 ? outBefore : errBefore) + readHere.get(stream);
    }

    /** Waits until every byte of output has been handed to the sink (the job's pipes closed). */
    public void drainOutput() throws InterruptedException {
        for (Thread t : pumps) t.join();
    }

    /**
     * This agent is stopping: each pump keeps what its last read took (tail, counts, sink) and
     * reads no more, so the job's unread output waits in its pipes for the next agent. A read
     * that returned just as a JVM halts would take a chunk with it (the halt parks every thread
     * coming back from a system call). Closing a FileChannel ends a read blocked on it without
     * taking anything, and lets one that has taken a chunk return it ({@link JobPipes}); an
     * interrupt would instead leave the pump's thread interrupted, and the tail's next write
     * would fail with it. Waits until {@code deadlineNanos}.
     */
    void stopReading(long deadlineNanos) throws InterruptedException {
        // a job whose supervisor has ended holds its pipes no more: closing them would lose what is in them, so its pumps drain them
        if (launcher.isAlive() && !pumps.isEmpty()) {
            for (InputStream in : List.of(launcher.stdout(), launcher.stderr())) {
                try {
                    in.close();
                } catch (IOException e) {
                    LOG.fine("output of " + id() + " closed: " + e);
                }
            }
        }
        for (Thread t : pumps) t.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
    }

    private Thread pump(InputStream from, MessageType kind) {
        int stream = kind == MessageType.STDOUT ? OutputCounts.STDOUT : OutputCounts.STDERR;
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            try (ReadableByteChannel in = Channels.newChannel(from)) { // a FileChannel for a file stream
                for (boolean reading = true; reading; ) {
                    buf.clear();
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (ClosedChannelException e) { // stopReading closed it: a read it cut short took nothing
                        n = buf.position();
                        reading = false;
                    }
                    if (n < 0) break;
                    if (n == 0) continue;
                    readHere.addAndGet(stream, n);
                    tail.append(stream, buf.array(), n); // kept before counted: an adopting agent's tail never lacks what was counted
                    here.add(stream, n);
                    try {
                        sink.output(kind, buf.array(), n);
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
    /**
     * A caller's frame: written to the job, or held while it moves; false if this copy has
     * moved on (its stopped copy must not take it: the frame is for the job's next node).
     */
    public boolean control(Frame f) throws IOException {
        synchronized (this) { // one decision: a move cannot begin or end between the check and the hold
            if (state == State.MOVED) return false;
            if ((f.type() == MessageType.STDIN || f.type() == MessageType.STDIN_EOF) && held(f)) return true;
        }
        switch (f.type()) {
            case STDIN -> writeInput(f.payload());
            case STDIN_EOF -> closeInput();
            case SIGNAL -> signalQuietly(f.u32());
            default -> throw new IOException("unexpected frame " + f.type());
        }
        return true;
    }

    /** Holds input while the job is being moved; false when it should go to the job now. */
    private synchronized boolean held(Frame f) throws IOException {
        try {
            while (state == State.MIGRATING && f.type() == MessageType.STDIN && heldInput.size() >= HELD_INPUT_LIMIT) wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the job moved", e);
        }
        if (state != State.MIGRATING) return false;
        if (f.type() == MessageType.STDIN) heldInput.writeBytes(f.payload());
        else heldEof = true;
        return true;
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

    /** The caller's end of input. */
    private void closeInput() throws IOException {
        stdinClosed = true;
        changed.run(); // first: an agent that adopts the job after a restart must not hold its input open again
        launcher.endInput();
    }

    /**
     * The job's init (tini, PID 1 of its namespace): the launcher's child (for a restored job,
     * once CRIU has handed it over). Signals go to it, and CRIU dumps the tree from it.
     */
    public long initPid() {
        return firstChild(launcher.pid());
    }

    /** The first child of process {@code pid}, or -1 if it has none (or is gone). */
    static long firstChild(long pid) {
        try {
            String children = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).strip();
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
        runs();
    }
}
