package dev.mosvm.agent.jobs;

import dev.mosvm.agent.recovery.RunnerAsk;
import dev.mosvm.agent.recovery.RunnerWatch;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.OutputPosition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.function.BiConsumer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A job as its home node keeps it for its caller, wherever it runs: the caller's stream, where
 * the job is now, and the way to reach it there. While it runs at home this is also its
 * {@link JobSink}. Output from successive nodes is relayed one node at a time (the relay
 * permit), so what the previous node still had to deliver comes before the next one's output.
 */
final class HomeRecord implements JobSink {
    final JobSpec spec;
    /** The caller's stream: its socket, or its files once it is gone for good ({@link OutputFiles}). Guarded by {@link #callerLock}. */
    private DataOutputStream caller;
    private final Object callerLock = new Object();
    /**
     * For a job whose caller went with the agent that ran before this one: its files, taken if no
     * caller reattaches by {@link #graceEndNanos}. Until then output waits (the job waits in
     * its next write once its pipe is full). Null once the caller is settled. Guarded by {@link #callerLock}.
     */
    private OutputFallback fallback;
    private long graceEndNanos;
    /** A caller came back ({@link #reattach}). */
    private boolean reattached;
    /** For a job that runs here: where its pumps' output begins, and its last output read here, to fill a reattached caller's gap. */
    private long[] pumpsStart;
    private JobSink.LastOutput lastOutput;

    /** The stream a callerless job's output goes to when no caller came back. */
    interface OutputFallback {
        DataOutputStream open() throws IOException;
    }
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** Whether the node the job runs on is gone, and so the job lost. */
    final RunnerWatch watch;
    /** When to ask the job's node whether it still has the job (its link down), and whether it said no. */
    final RunnerAsk ask;
    private final Semaphore relay = new Semaphore(1);
    /**
     * Where the job runs and whether it is moving, read together without this record's lock
     * (a write to a dead runner may hold that lock until its link is cut). Moving: the caller's
     * frames wait here (however long the move takes) for the job's next node.
     */
    private volatile Runner runner;
    /** Control frames (signals, input) to the node the job runs on; null while it runs here, or while it moves. */
    private DataOutputStream toRunner;
    /** The link of the node that relays now, cut when that node is gone (a dead VM sends no reset); null at home. */
    private volatile Relay relayLink;
    /** The caller has its last frame: output that comes later is not written after it. Guarded by {@link #callerLock}. */
    private boolean ended;
    /**
     * Per stream (stdout, stderr), counted from the job's start: how far the caller's output
     * reaches, and where the next output from the job begins. The second falls behind the
     * first when the job writes again what the caller has had (a copy restored from a
     * checkpoint, output sent again after a runner's agent restarted); that part is skipped.
     * Guarded by {@link #callerLock}.
     */
    private final long[] had = new long[2];
    private final long[] next = new long[2];

    /**
     * A node's link while it relays: cut if that node is gone, or handed over to the same copy's
     * next link ({@link #takeOver}). Ended by {@link #endRelay}.
     */
    static final class Relay {
        final String node;
        /** The copy that attached on it; null for a link home opened itself (the job's start on a peer). */
        final CopyLedger.Copy copy;
        final Closeable link;
        /** When it reached home ({@link #attachSequence}). */
        final long seq;
        /** Its end hands the relay to the link that superseded it instead of releasing it. Guarded by this relay's lock. */
        private boolean superseded;
        /** Its link is done ({@link #endRelay}). Guarded by this relay's lock. */
        private boolean done;
        private final CountDownLatch ended = new CountDownLatch(1);

        Relay(String node, CopyLedger.Copy copy, Closeable link, long seq) {
            this.node = node;
            this.copy = copy;
            this.link = link;
            this.seq = seq;
        }
    }

    /** Where a job runs, and whether a move of it is under way. */
    record Runner(String node, boolean moving) {}

    HomeRecord(JobSpec spec, DataOutputStream caller, String where) {
        this(spec, caller, where, Clock.systemDefaultZone());
    }

    HomeRecord(JobSpec spec, DataOutputStream caller, String where, Clock clock) {
        this(spec, caller, where, clock, new CopyLedger(spec.epoch()));
    }

    private HomeRecord(JobSpec spec, DataOutputStream caller, String where, Clock clock, CopyLedger copies) {
        this.spec = spec;
        this.caller = caller;
        this.runner = new Runner(where, false);
        this.watch = new RunnerWatch(spec.id(), clock);
        this.ask = new RunnerAsk(clock, spec.home());
        this.copies = copies;
    }

    /**
     * A record for a job whose caller went with the agent that ran before this one (it restarted):
     * for {@code graceMillis} its caller may reattach ({@link #reattach}) and sees the job's
     * output on from what it had; after that the output goes to {@code fallback}.
     */
    static HomeRecord awaitingCaller(JobSpec spec, String where, OutputFallback fallback, long graceMillis) {
        return awaitingCaller(spec, where, fallback, graceMillis, null);
    }

    /** @param copies the job's ledger home kept already (it settled a move of the job while it knew no caller of it), or null */
    static HomeRecord awaitingCaller(JobSpec spec, String where, OutputFallback fallback, long graceMillis, CopyLedger copies) {
        HomeRecord r = new HomeRecord(spec, null, where, Clock.systemDefaultZone(), copies != null ? copies : new CopyLedger(spec.epoch()));
        r.fallback = fallback;
        r.graceEndNanos = System.nanoTime() + graceMillis * 1_000_000;
        return r;
    }

    /**
     * The job's caller is back ({@code mosrun} reattached after this agent restarted), having had
     * {@code out} bytes of stdout and {@code err} of stderr: output goes to {@code to} from there
     * on, output this node read before it took the job on included. False if the record waits
     * for no caller (its caller never left, came back already, or its files took over).
     */
    boolean reattach(DataOutputStream to, long out, long err) throws IOException {
        synchronized (callerLock) {
            if (fallback == null) return false;
            long[] hadBefore = had.clone();
            long[] nextBefore = next.clone();
            had[0] = out;
            had[1] = err;
            try {
                if (pumpsStart != null && lastOutput != null) fillFromLastOutput(to);
            } catch (IOException | RuntimeException e) { // that caller is gone again: the record waits on, as it did
                System.arraycopy(hadBefore, 0, had, 0, 2);
                System.arraycopy(nextBefore, 0, next, 0, 2);
                throw e;
            }
            fallback = null;
            reattached = true;
            caller = to;
            callerLock.notifyAll();
            return true;
        }
    }

    /** Whether the record waits for its caller to reattach. */
    boolean waitsForCaller() {
        synchronized (callerLock) {
            return fallback != null;
        }
    }

    /** Whether the caller reattached (its stand-in files were never used). */
    boolean reattached() {
        synchronized (callerLock) {
            return reattached;
        }
    }

    /**
     * Writes what this node read from the job before its pumps started here (the previous agent's
     * last output) and the caller lacks: the part of its tail between {@link #had} and {@link #pumpsStart}.
     */
    private void fillFromLastOutput(DataOutputStream to) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        lastOutput.replayTo(new DataOutputStream(b), pumpsStart);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b.toByteArray()));
        long[] at = new long[2];
        for (Frame f; (f = FrameCodec.read(in)) != null; ) {
            if (f.type() == MessageType.POSITION) {
                OutputPosition p = OutputPosition.of(f);
                at[0] = p.out();
                at[1] = p.err();
                continue;
            }
            int i = f.type() == MessageType.STDERR ? 1 : 0;
            long from = Math.max(at[i], had[i]);
            long until = Math.min(at[i] + f.payload().length, pumpsStart[i]);
            if (until > from) {
                if (from > had[i]) { // a gap the tail does not cover: the caller's counts jump with the stream, or a later reattach would ask for it again
                    had[i] = from;
                    FrameCodec.write(to, new OutputPosition(had[0], had[1]).frame());
                }
                FrameCodec.write(to, f.type(), java.util.Arrays.copyOfRange(f.payload(), (int) (from - at[i]), (int) (until - at[i])));
                had[i] = until;
            }
            at[i] += f.payload().length;
        }
        next[0] = pumpsStart[0];
        next[1] = pumpsStart[1];
    }

    /** Waits (releasing the lock) until the caller is settled: reattached, or its grace over and the fallback taken. */
    private void settleCaller() throws IOException {
        while (fallback != null) {
            long left = graceEndNanos - System.nanoTime();
            if (left <= 0) {
                OutputFallback f = fallback;
                fallback = null;
                had[0] = next[0]; // the files begin where the stream stands
                had[1] = next[1];
                caller = f.open();
                return;
            }
            try {
                callerLock.wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while job " + spec.id() + " waited for its caller");
            }
        }
    }

    @Override
    public void startsAt(long out, long err, JobSink.LastOutput last) {
        synchronized (callerLock) {
            pumpsStart = new long[] {out, err};
            lastOutput = last;
            next[0] = out;
            next[1] = err;
            if (fallback == null && (out > had[0] || err > had[1])) { // a job restarted from a checkpoint (mosrun -R): its output begins there
                had[0] = Math.max(had[0], out);
                had[1] = Math.max(had[1], err);
                tellCallerWhereItStands();
            }
        }
    }

    /**
     * A POSITION to the caller: its stream jumped (past a gap, or to where a restored job
     * begins), and the counts it reattaches with, if its agent restarts, are the job's, not its own.
     */
    private void tellCallerWhereItStands() {
        if (caller == null || ended) return;
        try {
            FrameCodec.write(caller, new OutputPosition(had[0], had[1]).frame());
        } catch (IOException e) {
            // the caller is gone; its hang-up reaches the job
        }
    }

    /** The job's copies as they reach home, and its epoch: the spec's, raised by each recovery and by a move settled for its source. */
    final CopyLedger copies;

    int epoch() {
        return copies.epoch();
    }

    String where() {
        return runner.node();
    }

    boolean moving() {
        return runner.moving();
    }

    Runner runner() {
        return runner;
    }

    /** Whether a node relays for the job now: its link to home is up (false while the job runs here). */
    boolean linked() {
        return relayLink != null;
    }

    /** Takes the relay for the node the job now runs on; waits for the previous node's output to end. */
    boolean takeRelay(String node, DataOutputStream control, long timeoutMillis) throws InterruptedException {
        return takeRelay(node, control, null, timeoutMillis);
    }

    /** @param link the relaying node's connection, cut if that node is declared gone */
    boolean takeRelay(String node, DataOutputStream control, Closeable link, long timeoutMillis) throws InterruptedException {
        return takeRelay(node, null, control, link, timeoutMillis, attachSequence()) != null;
    }

    /**
     * Takes the relay for a node's link, as copy {@code copy}; null if the previous node still
     * relays after {@code timeoutMillis}. End it with {@link #endRelay}.
     */
    Relay takeRelay(String node, CopyLedger.Copy copy, DataOutputStream control, Closeable link, long timeoutMillis, long seq)
            throws InterruptedException {
        if (!relay.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) return null;
        Relay r = new Relay(node, copy, link, seq);
        install(r, control);
        return r;
    }

    private synchronized void install(Relay r, DataOutputStream control) {
        runner = new Runner(r.node, false);
        toRunner = control;
        relayLink = r.link == null ? null : r;
    }

    /**
     * The same copy attached again while home still reads its older link: it gave that link up
     * before it attached (or the agent that held it is gone), but a link whose packets were
     * dropped stays open here until it is written to, and holds the relay. That link is cut, and
     * once its reading has ended the relay passes straight to the new link, so no other node's
     * output (or the copy's own, coming home) slips in between and the new link's replay of what
     * may not have arrived is not taken for output the caller had. Null if the relay is not that
     * copy's, or its older link is still busy after {@code waitMillis} (then it is left alone).
     */
    Relay takeOver(String node, CopyLedger.Copy copy, DataOutputStream control, Closeable link, long waitMillis, long seq)
            throws InterruptedException {
        Relay old = relayLink;
        // only an older link: one that attached earlier, still waiting, must not cut the live one
        if (old == null || old.copy == null || !old.copy.equals(copy) || old.seq >= seq) return null;
        // marked before it is cut, so its end cannot release the relay to anyone else; the relay's
        // own lock, not the record's: a write blocked on that link may hold the record's
        synchronized (old) {
            if (old.done) return null; // it ended meanwhile and released the relay as usual
            old.superseded = true;
        }
        close(old.link);
        if (!old.ended.await(waitMillis, TimeUnit.MILLISECONDS)) {
            synchronized (old) {
                if (!old.done) { // still busy (writing to a slow caller): it keeps the relay, and releases it as usual
                    old.superseded = false;
                    return null;
                }
            }
        }
        Relay r = new Relay(node, copy, link, seq);
        install(r, control);
        return r;
    }

    private final AtomicLong attaches = new AtomicLong();

    /** The order in which links reach home, taken as each one arrives: the later of two links of a copy is its current one. */
    long attachSequence() {
        return attaches.incrementAndGet();
    }

    /** The link of {@code r} is done (the job moved on, or the link dropped): the relay goes to the next node, or to the link that superseded it. */
    void endRelay(Relay r) {
        synchronized (this) {
            if (relayLink == r) {
                toRunner = null;
                relayLink = null;
            }
        }
        boolean release;
        synchronized (r) {
            r.done = true;
            release = !r.superseded;
        }
        r.ended.countDown();
        if (release) relay.release();
    }

    private static void close(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closed already
        }
    }

    /**
     * Where the job runs now as its node {@code asked} told it ({@link RunnerAsk#told()}): the
     * job may have moved on, or be moving, while that node's link to home was down, so no HOLD
     * told home. Applied only if the job still runs on {@code asked} as far as home knows and no
     * node relays (one that attached or held meanwhile knows better: compare-and-set, without
     * this record's lock, which a write to a dead runner may hold). The next node the job runs
     * on is watched as a moving job's ({@link RunnerWatch#handedOver}). Returns where the job runs now.
     */
    Runner follow(String asked, RunnerAsk.Told told) {
        Runner known = runner;
        if (relayLink != null || !known.node().equals(asked)) return known;
        Runner next = new Runner(told.node(), told.moving());
        if (!RUNNER.compareAndSet(this, known, next)) return runner;
        if (!told.node().equals(asked)) watch.handedOver(asked, told.node());
        return next;
    }

    private static final VarHandle RUNNER;

    static {
        try {
            RUNNER = MethodHandles.lookup().findVarHandle(HomeRecord.class, "runner", Runner.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private synchronized void moving(boolean now) {
        runner = new Runner(runner.node(), now);
    }

    /**
     * The runner's HOLD: nothing more goes to it, and HOLD_ACK goes behind the last frame that
     * did (one lock with {@link #toRunner}, so no frame slips in between).
     */
    synchronized void hold() {
        DataOutputStream out = toRunner;
        toRunner = null;
        moving(true);
        if (out == null) return;
        try {
            FrameCodec.writeEmpty(out, MessageType.HOLD_ACK);
        } catch (IOException e) {
            // the link is down: the runner goes ahead without the ACK, and nothing reaches it anyway
        }
    }

    /** The runner's move failed: its control stream takes the caller's frames again. */
    synchronized void resumeControl(DataOutputStream control) {
        toRunner = control;
        moving(false);
    }

    /** The job runs here and begins a move (no link to hold: frames stop at its moved copy and wait). */
    @Override
    public void holdControl() {
        moving(true);
    }

    @Override
    public void keepControl() {
        moving(false);
    }

    /**
     * The sink for a job that has just come back home. Its output waits (the job's pipe fills,
     * then the job waits) until the node it left has relayed everything it still had; the
     * source finishes that only after the job runs here, so this must not block the resume.
     */
    JobSink arrivingHome(String self, CopyLedger.Copy copy) {
        Arrival arrival = new Arrival(runner.node(), copy);
        CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
            try {
                if (!takeRelayForArrival(self, arrival, 600_000)) {
                    throw new IllegalStateException(arrival.abandoned ? "its move home was dropped" : "the previous node never finished relaying");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        HomeRecord home = this;
        return new JobSink() {
            @Override
            public void abandon() {
                home.abandonArrival(arrival);
            }

            /** Where the copy's output begins, applied once the previous node has relayed all it had. */
            private long[] start;
            private JobSink.LastOutput last;

            @Override
            public synchronized void startsAt(long out, long err, JobSink.LastOutput lastOutput) {
                start = new long[] {out, err}; // not here: this runs before the job resumes, and the relay is the source's until after
                last = lastOutput;
            }

            private synchronized void applyStart() {
                if (start == null) return;
                home.startsAt(start[0], start[1], last);
                start = null;
            }

            @Override
            public void output(MessageType kind, byte[] b, int n) throws IOException {
                home.awaitRelay(ready);
                if (arrival.abandoned) throw new IOException("job " + home.spec.id() + ": its move home was dropped");
                applyStart();
                home.output(kind, b, n);
            }

            @Override
            public void exited(int status) {
                try {
                    home.awaitRelay(ready);
                } catch (IOException e) {
                    // deliver the status anyway
                }
                if (arrival.abandoned) return; // a dropped copy's end is not the job's
                home.exited(status);
            }

            @Override
            public void diedOfDump(int status, String why) {
                try {
                    home.awaitRelay(ready);
                } catch (IOException e) {
                    // the recovery waits for the relay itself
                }
                boolean took;
                synchronized (home) {
                    if (arrival.abandoned) return;
                    took = arrival.took;
                }
                home.diedOfDumpHere(why, took);
            }

            @Override
            public void moved() {
                try {
                    home.awaitRelay(ready);
                } catch (IOException e) {
                    return;
                }
                if (arrival.abandoned) return;
                home.moved();
            }

            @Override
            public void holdControl() {
                home.holdControl();
            }

            @Override
            public void keepControl() {
                home.keepControl();
            }
        };
    }

    /** A copy on its way home: the node it comes from, and whether its move was dropped. Written under the record's lock. */
    private static final class Arrival {
        final String from;
        final CopyLedger.Copy copy;
        volatile boolean abandoned;
        boolean took;

        Arrival(String from, CopyLedger.Copy copy) {
            this.from = from;
            this.copy = copy;
        }
    }

    /**
     * Takes the relay for a copy arriving home once the node it leaves has relayed all it had,
     * unless the move is dropped first: a dropped move's copy never runs, and the relay it
     * took would keep the node the job runs on from ever attaching again.
     */
    private boolean takeRelayForArrival(String self, Arrival arrival, long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000;
        for (long left = timeoutMillis * 1_000_000; left > 0; left = end - System.nanoTime()) {
            if (!relay.tryAcquire(Math.min(left, 200_000_000L), TimeUnit.NANOSECONDS)) {
                synchronized (this) {
                    if (arrival.abandoned) return false;
                }
                continue;
            }
            synchronized (this) {
                if (arrival.abandoned) {
                    relay.release();
                    return false;
                }
                arrival.took = true;
                install(new Relay(self, null, null, 0), null); // no link: the job runs here
            }
            return true;
        }
        return false;
    }

    /** The copy coming home was dropped: the relay goes back if it took it, and the job runs where it came from. */
    private void abandonArrival(Arrival arrival) {
        copies.withdraw(arrival.copy); // asked to settle the move, home now says the source's copy is the job
        synchronized (this) {
            if (arrival.abandoned) return;
            arrival.abandoned = true;
            if (!arrival.took) return;
            if (relayLink == null) runner = new Runner(arrival.from, false); // unless the source attached again meanwhile
        }
        releaseRelay();
    }

    private void awaitRelay(CompletableFuture<Void> ready) throws IOException {
        try {
            ready.get();
        } catch (Exception e) {
            throw new IOException("job " + spec.id() + ": " + e.getMessage());
        }
    }

    /**
     * The node that relayed is done (the job moved on, or its link dropped). Its control stream
     * goes too: input and signals from the caller then wait for the next node to attach instead
     * of going into a closed stream.
     */
    void releaseRelay() {
        synchronized (this) {
            toRunner = null;
            relayLink = null;
        }
        relay.release();
    }

    /**
     * Cuts the link of {@code node}, which is gone, if it relays: its relay ends (releasing the
     * relay for a next node), and a write blocked on it fails. No lock: such a write holds it.
     */
    void cutRunnerLink(String node) {
        Relay r = relayLink;
        if (r != null && r.node.equals(node)) close(r.link);
    }

    /** Passes a caller's frame on to the node the job runs on; false if no node takes it now (it runs here, or is between nodes). */
    synchronized boolean toRunner(MessageType kind, byte[] payload) {
        DataOutputStream out = toRunner;
        if (out == null) return false;
        try {
            FrameCodec.write(out, kind, payload);
        } catch (IOException e) {
            // the runner's link is down: it reattaches, and the caller may send again
        }
        return true;
    }

    @Override
    public void output(MessageType kind, byte[] b, int n) throws IOException {
        synchronized (callerLock) {
            settleCaller();
            if (ended) throw new IOException("the wait of job " + spec.id() + "'s caller has ended");
            int err = kind == MessageType.STDERR ? 1 : 0;
            if (next[err] > had[err]) { // what lies between never came: the caller's stream jumps, and it hears so
                had[err] = next[err];
                tellCallerWhereItStands();
            }
            int skip = (int) Math.max(0, Math.min(n, had[err] - next[err]));
            next[err] += n;
            had[err] = Math.max(had[err], next[err]);
            if (n > skip) FrameCodec.write(caller, kind, skip == 0 ? b : java.util.Arrays.copyOfRange(b, skip, n), n - skip);
        }
    }

    /**
     * The job's output from here on begins at {@code out} bytes of its stdout and {@code err} of
     * its stderr: a copy restored from a checkpoint taken then, or a runner sending again what
     * may not have arrived. What the caller has had beyond those is written again by the job
     * and not passed on twice. Returns the bytes before them the caller never got (output on
     * its way home when a node died or an agent stopped), per stream; the stream goes on past them.
     */
    long[] continueFrom(long out, long err) {
        synchronized (callerLock) {
            if (fallback != null) { // what the caller had is known when it reattaches (or its files take over)
                next[0] = out;
                next[1] = err;
                return new long[2];
            }
            long[] gap = {Math.max(0, out - had[0]), Math.max(0, err - had[1])};
            next[0] = out;
            next[1] = err;
            had[0] = Math.max(had[0], out);
            had[1] = Math.max(had[1], err);
            if (gap[0] + gap[1] > 0) tellCallerWhereItStands();
            return gap;
        }
    }

    /**
     * The caller's last frame (EXIT, LOST or ERROR), after any output being written: a lost
     * job's node may still be relaying (it left the pool, or was removed) when its caller is told.
     */
    void lastFrame(Frame f) throws IOException {
        synchronized (callerLock) {
            settleCaller();
            ended = true;
            FrameCodec.write(caller, f);
        }
    }

    /** The caller's last frame for how the job ended: its exit status, or why it was lost or could not run. */
    static Frame lastFrameOf(Integer status, Throwable failure) {
        if (failure == null) return Frame.u32(MessageType.EXIT, status);
        Throwable cause = failure instanceof java.util.concurrent.ExecutionException || failure instanceof java.util.concurrent.CompletionException
                ? failure.getCause() : failure;
        return Frame.text(cause instanceof Lost ? MessageType.LOST : MessageType.ERROR, String.valueOf(cause.getMessage()));
    }

    @Override
    public void exited(int status) {
        exit.complete(status);
    }

    /** The job could not start where it was sent; the caller gets this one-line reason. */
    void failed(String message) {
        exit.completeExceptionally(new IOException(message));
    }

    /**
     * What brings back a job that a dump of it killed: home's recovery, given what happened and
     * the caller's line if the job cannot come back; null (a record with no caller): the job is lost.
     */
    private volatile BiConsumer<String, String> recovery;

    void recoverWith(BiConsumer<String, String> r) {
        recovery = r;
    }

    /**
     * The job, running here, died of a dump of it. Its copy here held the relay (every copy at
     * home takes it): it lets go, so the recovery's restored copy can take it.
     */
    @Override
    public void diedOfDump(int status, String why) {
        diedOfDumpHere(why, true);
    }

    /** @param heldRelay whether the copy here held the relay (an arriving copy that never got it did not) */
    void diedOfDumpHere(String why, boolean heldRelay) {
        BiConsumer<String, String> r = recovery;
        if (r == null) {
            lost(why);
            return;
        }
        if (heldRelay) releaseRelay();
        r.accept("a dump of it killed it here", why);
    }

    /** The job died of a dump of it on {@code node}, whose link said so (and has let go of the relay, or is about to). */
    void diedOfDumpOn(String node, String why) {
        BiConsumer<String, String> r = recovery;
        if (r == null) lost(why);
        else r.accept("a dump of it killed it on " + node, why);
    }

    /** The job is lost with the node it ran on; false if its caller's wait had ended already. */
    boolean lost(String reason) {
        return exit.completeExceptionally(new Lost(reason));
    }

    /** How a lost job ends its caller's wait: a LOST frame rather than an ERROR. */
    static final class Lost extends IOException {
        Lost(String reason) {
            super(reason);
        }
    }

    @Override
    public void moved() {
        releaseRelay(); // the node the job moved to may now relay its output
    }
}
