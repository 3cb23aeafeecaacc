package dev.mosvm.agent.jobs;

import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.OutputPosition;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Output of a job that runs away from home, sent to the home agent over the peer channel;
 * the home's signals and input come back on the same channel. If home cannot be reached (its
 * VM is down, the network dropped), the job keeps running: its frames go to a spool file on
 * this node and are replayed, in order, when the link to home is back. The job's exit status
 * is forgotten only when home confirms it ({@link MessageType#EXIT_ACK}); without that it is
 * spooled and sent again, so a link that drops just after the EXIT was written loses nothing.
 */
final class RemoteSink implements JobSink {
    private static final Logger LOG = Logger.getLogger(RemoteSink.class.getName());
    static final Path SPOOL = GuestLayout.OUTPUT_SPOOL;
    /** How long the runner waits for home to confirm an EXIT before it spools it and reattaches. */
    static final long ACK_MILLIS = 30_000;
    /** Between attempts to reach an unreachable home. */
    static final long RETRY_MILLIS = 5_000;
    private final Path spool;
    /**
     * The most output a job's spool holds while its home is away. Past it the job's output is not
     * read any more: its pipe fills and the job waits in its next write until home is back, so
     * nothing is lost and a job printing without end cannot fill this node's disk.
     */
    static final long SPOOL_LIMIT_BYTES = 64L << 20;
    private final long spoolLimit;
    /** Bytes in the spool file now (this sink writes it alone). */
    private long spooled;
    private final long ackMillis;
    private final long retryMillis;
    private final String jobId;
    private final String home;
    private final PeerDirectory peers;
    private final Consumer<Frame> control;
    /** The spec it attaches to home with: its epoch raised when home settles a move of the job this node's way. */
    private volatile JobSpec spec;
    private PeerChannel link;
    private boolean spooling;
    private boolean done;
    /** Home answered the EXIT on the current link (or said it has no caller waiting). */
    private boolean settled;
    /** Home said this copy is stale (FENCED): it sends nothing more, and is being killed. */
    private volatile boolean fenced;
    /** Home answered HOLD: it sends nothing more on the current link. */
    private boolean held;
    /** How long a move waits for home to answer HOLD before it goes ahead. */
    static final long HOLD_MILLIS = 10_000;

    RemoteSink(JobSpec spec, PeerChannel link, PeerDirectory peers, Consumer<Frame> control) {
        this(spec, link, peers, control, SPOOL, ACK_MILLIS, RETRY_MILLIS);
    }

    RemoteSink(JobSpec spec, PeerChannel link, PeerDirectory peers, Consumer<Frame> control, Path spool, long ackMillis,
               long retryMillis) {
        this(spec, link, peers, control, spool, ackMillis, retryMillis, SPOOL_LIMIT_BYTES);
    }

    RemoteSink(JobSpec spec, PeerChannel link, PeerDirectory peers, Consumer<Frame> control, Path spool, long ackMillis,
               long retryMillis, long spoolLimit) {
        this.spoolLimit = spoolLimit;
        this.spool = spool;
        this.ackMillis = ackMillis;
        this.retryMillis = retryMillis;
        this.spec = spec;
        this.jobId = spec.id();
        this.home = spec.home();
        this.peers = peers;
        this.control = control;
        this.link = link;
        listen(link);
    }

    /** Opens an attach link to home for a job that arrived here by migration, or that this agent adopted. */
    static RemoteSink attach(JobSpec spec, PeerDirectory peers, Consumer<Frame> control) {
        RemoteSink s = new RemoteSink(spec, null, peers, control);
        synchronized (s) {
            s.spooling = true;
            s.reconnect();
        }
        return s;
    }

    /**
     * The job's last output read here (for an adopted job, also what the previous agent read),
     * sent again first on every new link: what went out on a link that then broke, or from an
     * agent that stopped, may not have arrived, and home passes on only what its caller lacks.
     */
    private JobSink.LastOutput lastOutput;
    /**
     * Where the job's next chunk of stdout and stderr begins (counted from the job's start);
     * null until {@link #startsAt}. Each link and each spool file says it before its first chunk.
     */
    private long[] at;
    /** The current link has been told {@link #at}. */
    private boolean linkPositioned;
    /** This sink has said {@link #at} in the spool file since it last replayed it. */
    private boolean spoolPositioned;

    /** Where the spool's output begins (its first POSITION), or null if it has none. */
    private static long[] spoolStart(Path file) {
        if (!Files.exists(file)) return null;
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            for (Frame f; (f = FrameCodec.read(in)) != null; ) {
                if (f.type() == MessageType.POSITION) {
                    OutputPosition p = OutputPosition.of(f);
                    return new long[] {p.out(), p.err()};
                }
                if (f.type() == MessageType.STDOUT || f.type() == MessageType.STDERR) return null; // output placed by what came before it
            }
        } catch (IOException e) {
            LOG.fine("spool " + file + " unreadable: " + e.getMessage());
        }
        return null;
    }

    @Override
    public synchronized void startsAt(long out, long err, JobSink.LastOutput lastOutput) {
        at = new long[] {out, err};
        this.lastOutput = lastOutput;
        if (spooling || fenced || link == null) return; // the next link sends it
        try {
            lastOutput.replayTo(link.out, null);
        } catch (IOException | RuntimeException e) {
            LOG.warning("home " + home + " of job " + jobId + " is unreachable (" + e.getMessage() + "); the job runs on, output kept in " + spoolFile());
            spooling = true;
            closeLink();
            startReconnectingLater();
        }
    }

    /** The job here is its copy of epoch {@code epoch} from now on: later attaches say so. */
    void renew(int epoch) {
        spec = spec.withEpoch(epoch);
    }

    private void listen(PeerChannel ch) {
        if (ch == null) return;
        Thread t = new Thread(() -> {
            try {
                Frame f;
                while ((f = FrameCodec.read(ch.in)) != null) {
                    if (f.type() == MessageType.HOLD_ACK) {
                        synchronized (this) {
                            held = true;
                            notifyAll();
                        }
                    } else if (f.type() == MessageType.FENCED) {
                        // a newer copy of the job is the job now: this one says nothing more and goes
                        LOG.warning("job " + jobId + ": " + f.text());
                        synchronized (this) {
                            fenced = true;
                            settled = true;
                            done = true;
                            notifyAll();
                        }
                        try {
                            Files.deleteIfExists(spoolFile());
                        } catch (IOException e) {
                            LOG.fine("spool of fenced job " + jobId + " stays: " + e.getMessage());
                        }
                        control.accept(f);
                    } else if (f.type() == MessageType.EXIT_ACK || f.type() == MessageType.ERROR) {
                        // ERROR: home has no caller waiting for this job (it got the status, or gave up)
                        synchronized (this) {
                            settled = true;
                            notifyAll();
                        }
                    } else {
                        control.accept(f);
                    }
                }
            } catch (IOException e) {
                LOG.fine("link to home of " + jobId + " ended: " + e);
            }
        }, "job-control-" + jobId);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public synchronized void output(MessageType kind, byte[] b, int n) {
        send(kind, b, n);
    }

    @Override
    public synchronized void exited(int status) {
        byte[] s = {(byte) (status >>> 24), (byte) (status >>> 16), (byte) (status >>> 8), (byte) status};
        end(MessageType.EXIT, s, "ended with " + status);
    }

    /** LOST in place of EXIT: home recovers the job from its checkpoint, or ends its caller's wait with {@code why}. */
    @Override
    public synchronized void diedOfDump(int status, String why) {
        end(MessageType.LOST, why.getBytes(java.nio.charset.StandardCharsets.UTF_8), "died of a dump of it");
    }

    /** Sends the job's end, kept until home confirms it ({@link MessageType#EXIT_ACK}). */
    private void end(MessageType kind, byte[] payload, String how) {
        send(kind, payload, payload.length);
        done = true;
        if (spooling) {
            LOG.warning("job " + jobId + " " + how + " while its home " + home + " was unreachable; kept in " + spoolFile());
        } else if (awaitSettled()) {
            closeLink();
        } else {
            LOG.warning("home " + home + " did not confirm the end of job " + jobId + "; kept in " + spoolFile() + " to send again");
            spooling = true;
            closeLink();
            spoolFrame(kind, payload, payload.length);
            startReconnectingLater();
        }
    }

    @Override
    public synchronized void holdControl() {
        if (spooling) return; // no link: home sends nothing here until one is up again
        held = false;
        send(MessageType.HOLD, new byte[0], 0);
        long end = Monotonic.millis() + HOLD_MILLIS;
        try {
            for (long left = HOLD_MILLIS; !held && !spooling && left > 0; left = end - Monotonic.millis()) wait(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!held) LOG.warning("home " + home + " did not confirm holding the input of job " + jobId + " for its move");
    }

    @Override
    public synchronized void keepControl() {
        if (!spooling) send(MessageType.RESUME_CONTROL, new byte[0], 0);
    }

    /** Waits (releasing this sink) for home to confirm the EXIT sent on the current link. */
    private boolean awaitSettled() {
        long end = Monotonic.millis() + ackMillis;
        try {
            for (long left = ackMillis; !settled && left > 0; left = end - Monotonic.millis()) wait(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return settled;
    }

    @Override
    public synchronized void moved() {
        send(MessageType.MOVED, new byte[0], 0);
        done = true;
        if (!spooling) closeLink();
    }

    /**
     * Waits (releasing this sink, so a reattach can go on) while the spool is full and home away;
     * output only: the exit status always goes in.
     */
    private void waitForSpoolRoom(MessageType kind, int n) {
        if (kind != MessageType.STDOUT && kind != MessageType.STDERR) return;
        boolean told = false;
        while (spooling && !fenced && spooled + n > spoolLimit) {
            if (!told) {
                LOG.warning("job " + jobId + "'s output waiting for its home " + home + " fills its spool (" + spoolLimit / (1 << 20)
                        + " MiB): the job waits in its next write until home is back");
                told = true;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void send(MessageType kind, byte[] b, int n) {
        waitForSpoolRoom(kind, n);
        if (fenced) return; // a stale copy: nothing of it reaches the caller
        boolean output = kind == MessageType.STDOUT || kind == MessageType.STDERR;
        try {
            sendOrSpool(kind, b, n);
        } finally {
            if (output && at != null) at[kind == MessageType.STDERR ? 1 : 0] += n;
        }
    }

    private void sendOrSpool(MessageType kind, byte[] b, int n) {
        if (!spooling) {
            try {
                if (kind == MessageType.STDOUT || kind == MessageType.STDERR) position(link.out);
                FrameCodec.write(link.out, kind, b, n);
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warning("home " + home + " of job " + jobId + " is unreachable (" + e.getMessage() + "); the job runs on, output kept in " + spoolFile());
                spooling = true;
                closeLink();
                startReconnectingLater();
            }
        }
        spoolFrame(kind, b, n);
    }

    /** Tells the current link where the output that follows begins, once. */
    private void position(DataOutputStream out) throws IOException {
        if (linkPositioned || at == null) return;
        FrameCodec.write(out, new OutputPosition(at[0], at[1]).frame());
        linkPositioned = true;
    }

    private void spoolFrame(MessageType kind, byte[] b, int n) {
        try {
            Files.createDirectories(spool);
            if (!Files.exists(spoolFile())) {
                // it holds the job's output: its owner's to read, and nobody else's
                Files.createFile(spoolFile(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
                try {
                    Files.setAttribute(spoolFile(), "unix:uid", spec.uid());
                } catch (IOException | UnsupportedOperationException e) {
                    LOG.fine("spool of " + jobId + " stays root's: " + e.getMessage());
                }
                spooled = 0;
            }
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(spoolFile(), StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
                // this sink's first frame in the spool (a new one, or one a stopped agent left) begins with the tail
                // up to here, then says where it stands. What went out on the link that broke may never have arrived,
                // and the spool outlives the job's directory (a job that ends while home is away takes its tail
                // with it). Home passes on nothing twice, however often a spool or a tail is replayed.
                if (!spoolPositioned && at != null) {
                    if (lastOutput != null) lastOutput.replayTo(out, at.clone());
                    FrameCodec.write(out, new OutputPosition(at[0], at[1]).frame());
                    spoolPositioned = true;
                }
                FrameCodec.write(out, kind, b, n);
            }
            spooled = Files.size(spoolFile());
        } catch (IOException e) {
            LOG.severe("cannot spool output of job " + jobId + ": " + e);
        }
    }

    Path spoolFile() {
        return spool.resolve(jobId + ".frames");
    }

    /** Attaches to home now and every {@link #retryMillis} until it works (a failing attempt is logged and retried later). */
    private void startReconnecting() {
        Supervised.periodicWhile("job-reattach-" + jobId, 0, retryMillis, () -> {
            synchronized (this) {
                return spooling && !reconnect();
            }
        });
    }

    /**
     * Attaches to home and replays the spool; true when the link is live again (for an ended
     * job: when home confirmed its EXIT, and only then is the spool deleted).
     */
    private boolean reconnect() {
        if (fenced) return true;
        PeerChannel ch = null;
        try {
            ch = peers.connect(home);
            PeerRequest.write(ch.out, PeerRequest.attach(spec));
            Path file = spoolFile();
            // oldest first: the tail up to where the spool begins (what went out on the link that broke), then the spool
            if (lastOutput != null) lastOutput.replayTo(ch.out, spoolStart(file));
            if (Files.exists(file)) {
                try (var in = Files.newInputStream(file)) {
                    in.transferTo(ch.out);
                }
                ch.out.flush();
            }
            linkPositioned = false;
            position(ch.out);
            link = ch;
            settled = false;
            listen(ch);
            if (done && !awaitSettled()) throw new IOException("no answer to the replayed exit status");
            Files.deleteIfExists(file);
            spooled = 0;
            spoolPositioned = false;
            spooling = false;
            retrying = false;
            notifyAll(); // output waiting for room in the spool goes straight home now
            LOG.info("job " + jobId + " attached to its home " + home);
            if (done) closeLink();
            return true;
        } catch (IOException e) {
            LOG.fine("home " + home + " of job " + jobId + " still unreachable: " + e.getMessage());
            close(ch);
            link = null;
            startReconnectingLater();
            return false;
        }
    }

    private boolean retrying;

    private void startReconnectingLater() {
        if (retrying) return;
        retrying = true;
        startReconnecting();
    }

    private void closeLink() {
        close(link);
    }

    private static void close(PeerChannel ch) {
        try {
            if (ch != null) {
                ch.out.flush();
                ch.close();
            }
        } catch (IOException e) {
            // already down
        }
    }
}
