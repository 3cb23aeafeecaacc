package dev.mosvm.agent.migrate;

import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.jobs.CopyArbiter;
import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.migrate.steps.Settlement;
import dev.mosvm.agent.migrate.steps.SourceMachine;
import dev.mosvm.agent.migrate.steps.SourceMove;
import dev.mosvm.agent.migrate.steps.SourcePorts;
import dev.mosvm.agent.migrate.steps.StepDeadlines;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MalformedFrameException;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.MigrationFrames;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.Whereabouts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The source's side of moving one job: pre-copy rounds while it runs, then freeze (CRIU dump,
 * leaving the job stopped here), send the last round, have the target restore it stopped,
 * commit, and only when the target says it runs, kill the stopped copy here. The steps and
 * what follows each outcome are {@link SourceMove}'s ({@code migrate.steps}, pure); this class
 * is their edge, which ends every step by its deadline. Until the commit, every failure
 * resumes the job here; after it, home's arbiter, then the target, settle which copy runs
 * ({@link Settlement}), so the job runs in exactly one place.
 */
final class SourceMigration {
    private static final Logger LOG = Logger.getLogger(SourceMigration.class.getName());
    private final String self;
    private final PeerDirectory peers;
    private final Path work;
    private final CpuFeatures cpuFeatures;
    private final PrecopyPolicy policy;
    private final boolean eagerRestore;
    private final MoveIntent intent;
    private final java.util.function.ToDoubleFunction<Job> workOf;
    private final CopyArbiter arbiter;
    private final Departures departures;
    private final LongSupplier clock;

    /**
     * @param workOf     the reference-core seconds a job has run (read when it is frozen: it travels with the job)
     * @param arbiter    home's word on which copy lives when the commit's answer is lost
     * @param departures where this node tells a job's home the job went (asked while its link to home is down)
     */
    SourceMigration(String self, PeerDirectory peers, Path workRoot, CpuFeatures cpuFeatures, PrecopyPolicy policy, boolean eagerRestore,
                    MoveIntent intent, java.util.function.ToDoubleFunction<Job> workOf, CopyArbiter arbiter, Departures departures) {
        this.cpuFeatures = cpuFeatures;
        this.self = self;
        this.peers = peers;
        this.work = workRoot;
        this.policy = policy;
        this.eagerRestore = eagerRestore;
        this.intent = intent;
        this.workOf = workOf;
        this.arbiter = arbiter;
        this.departures = departures;
        this.clock = Monotonic::millis;
    }

    MigrationRecord run(Job job, String target, String imageVersion) throws IOException {
        job.sink().holdControl(); // the caller's input and signals stay at home from here: what came before is held here
        Edge edge = new Edge(job, target, imageVersion);
        SourceMove.Result r;
        departures.moving(job.id(), target, job.spec().epoch());
        try {
            r = SourceMove.run(edge, new SourceMachine(new StepDeadlines(Math.max(0, job.rssKb()) << 10), clock));
        } finally {
            departures.ended(job.id());
            edge.close();
        }
        return switch (r.end()) {
            case MOVED -> edge.record;
            case ENDED -> throw new IOException("job " + job.id() + " ended during its migration to " + target);
            default -> {
                LOG.warning("migration of job " + job.id() + " to " + target + " failed, the job runs on here: " + r.reason());
                throw new IOException("cannot migrate job " + job.id() + " to " + target + ": " + r.reason() + " (it runs on " + self + ")");
            }
        };
    }

    /**
     * The real world of one move, step by step for {@link SourceMove}: the peer channel (each
     * read bounded by the step's deadline, and the channel closed if a write outlasts it), CRIU
     * (killed at the step's deadline), the job, home's arbiter.
     */
    private final class Edge implements SourcePorts {
        private final Job job;
        private final String target;
        private final String imageVersion;
        private final long init;
        private final long t0 = System.nanoTime();
        private final Phases phases = new Phases();
        private final Path dir;
        private PeerChannel ch;
        private PeerWatch watch;
        private ImageRounds images;
        private boolean probing;
        private long probeStart;
        private long rssKb;
        private long bytes;
        private long last = -1;
        private long prev = -1;
        private long dirty = -1;
        private boolean probed;
        private int roundsDone;
        private long freezeStart;
        private double workDone;
        /** The job is stopped here (a dump ended; its files may not have arrived). */
        private boolean frozen;
        /** A dump was stopped at its deadline: CRIU may have left the job's processes stopped. */
        private boolean dumpCut;
        /** What reached the job during the move, once taken for the target. */
        private Job.Held held = Job.Held.NONE;
        MigrationRecord record;

        Edge(Job job, String target, String imageVersion) {
            this.job = job;
            this.target = target;
            this.imageVersion = imageVersion;
            this.init = job.initPid();
            this.dir = work.resolve("out-" + job.id());
        }

        @Override
        public void offer(long deadline) throws IOException {
            TargetMigration.deleteTree(dir);
            Files.createDirectories(dir);
            ch = peers.connect(target);
            watch = new PeerWatch(ch, peers, target);
            String cpu = cpuFeatures.ownRecord();
            probeStart = System.nanoTime();
            probing = policy.maxRounds() > 0 && clearSoftDirty(job); // the probe runs while the target checks the offer
            rssKb = Math.max(0, job.rssKb());
            List<String> stdio = new ArrayList<>();
            for (int fd = 0; fd < 3; fd++) stdio.add(Criu.pipeOf(init, fd));
            try (Cutoff c = cutoff(deadline)) {
                PeerRequest.write(ch.out, PeerRequest.migrateIn(job.spec(), new PeerRequest.MigrationOffer(self, imageVersion, cpu, stdio,
                        job.stdinClosed(), Criu.pathsUsedBy(job.cgroup()), eagerRestore, intent.reason(), intent.rateHere(),
                        rssKb, Math.max(0, job.tasks()))));
                expect(ch, MessageType.ACCEPT, target, deadline);
            }
            images = new ImageRounds(ch, target, dir, peers.plainPageStreams(target));
            phases.mark("gate");
        }

        @Override
        public boolean anotherRound() {
            if (!probed) {
                probed = true;
                if (probing) sleepUntil(probeStart + PrecopyPolicy.probeMillis(rssKb << 10) * 1_000_000);
                SoftDirtyPages.Count probe = probing ? softDirty(job) : null;
                last = probe == null ? -1 : probe.residentBytes();
                if (probe != null) phases.mark("probe (" + probe.dirtyBytes() / 1024 + " KiB of " + last / 1024 + " dirtied)");
                dirty = probe == null ? -1 : probe.dirtyBytes();
            }
            return policy.anotherRound(roundsDone, last, prev, dirty);
        }

        @Override
        public void preDump(int round, long deadline) throws IOException {
            prev = round == 1 ? -1 : last;
            stoppedFor(); // a pre-dump stops the job too, and criu killed in one may leave it stopped
            try (Cutoff c = cutoff(deadline)) {
                last = images.send(round, List.of("pre-dump", "-t", String.valueOf(init), "--track-mem"), "pre-dump.log", deadline);
            } catch (IOException | RuntimeException e) {
                job.dumpFailed();
                throw e;
            }
            roundsDone = round;
            bytes += last + images.lastFileBytes;
            phases.mark("pre-dump " + round + " (" + last / 1024 + " KiB of pages)");
            SoftDirtyPages.Count now = probing ? softDirty(job) : null;
            dirty = now == null ? -1 : now.dirtyBytes();
        }

        @Override
        public void dump(int round, long deadline) throws IOException {
            stoppedFor();
            freezeStart = System.nanoTime();
            try (Cutoff c = cutoff(deadline)) {
                long pages = images.send(round, List.of("dump", "-t", String.valueOf(init), "--track-mem", "--leave-stopped"), "dump.log", deadline);
                bytes += pages + images.lastFileBytes;
                freezeStart = images.frozenSince(freezeStart);
                phases.mark("dump (" + pages / 1024 + " KiB of pages, job frozen for the last "
                        + (images.criuEnded - freezeStart) / 1_000_000 + " ms of it)");
            } catch (IOException | RuntimeException e) {
                dumpCut = !images.dumped && Monotonic.millis() >= deadline;
                if (!images.dumped) job.dumpFailed();
                throw e;
            } finally {
                frozen = images.dumped; // a failed dump leaves the job running; a dump whose files did not arrive leaves it stopped
            }
            workDone = workOf.applyAsDouble(job); // frozen: its CPU time here is final
        }

        @Override
        public void restore(int round, long deadline) throws IOException {
            try (Cutoff c = cutoff(deadline)) {
                FrameCodec.write(ch.out, new MigrationFrames.Restore(round).frame());
                expect(ch, MessageType.RESTORED, target, deadline);
            }
            phases.mark("restore");
        }

        @Override
        public void commit(long deadline) throws IOException {
            try {
                job.reclaimUnreadInput(Criu.takeUnreadPipeBytes(init, 0));
            } catch (IOException e) {
                LOG.warning("input job " + job.id() + " had not read yet stays behind: " + e.getMessage());
            }
            long[] written; // stopped since the final dump: the target's copy counts on from here
            try {
                written = JobImages.writtenByStopped(job);
            } catch (IOException e) {
                written = new long[] {job.readSoFar(0) + unreadQuietly(job, 1), job.readSoFar(1) + unreadQuietly(job, 2)};
                LOG.warning("the output of job " + job.id() + " is counted as it stood (" + e.getMessage() + "): off by at most a read");
            }
            held = job.migrated().at(written); // from here on the target's copy is the job
            try (Cutoff c = cutoff(deadline)) {
                FrameCodec.write(ch.out, Frame.json(MessageType.COMMIT, held));
                expect(ch, MessageType.RUNNING, target, deadline);
            }
        }

        @Override
        public boolean jobEnded() {
            return !job.launcher().isAlive();
        }

        @Override
        public void resumeHere() throws IOException {
            try {
                if (frozen) job.resume();
                else if (dumpCut) resumeAfterCutDump();
                job.stoppedFor(null);
            } finally {
                job.finishMove(held); // a commit the target never acted on: what it was sent is delivered here
                job.sink().keepControl(); // and what home kept comes here after it
            }
        }

        /** Recorded before a dump stops the job: an agent restarted while it is stopped asks home which copy is the job. */
        private void stoppedFor() {
            if (!target.equals(job.stoppedFor())) job.stoppedFor(target);
        }

        /** CRIU killed in the middle of a dump may leave the job's cgroup frozen and its processes stopped: let them go. */
        private void resumeAfterCutDump() {
            try {
                job.thaw();
            } catch (IOException e) {
                LOG.warning("job " + job.id() + " after its dump was stopped: " + e.getMessage());
            }
        }

        @Override
        public void endedHere() {
            job.stoppedFor(null);
            job.migrationAborted();
            job.sink().keepControl();
        }

        @Override
        public void retireHere() {
            departures.left(job.id(), target, job.spec().epoch()); // before the copy here goes: asked meanwhile, this node never says "absent"
            long freezeEnd = System.nanoTime();
            phases.mark("resume");
            retireStoppedCopy(job, init);
            record = new MigrationRecord(self, target, Instant.now().toString(), roundsDone,
                    (freezeEnd - freezeStart) / 1_000_000, (freezeEnd - t0) / 1_000_000, bytes, intent.reason(), intent.why(), workDone,
                    images.plain ? "plain" : "sealed");
            try {
                FrameCodec.write(ch.out, Frame.json(MessageType.RECORD, record));
            } catch (IOException e) {
                LOG.fine("record of " + job.id() + " not delivered: " + e.getMessage());
            }
            LOG.info("migrated job " + job.id() + " to " + target + ": " + record + "; phases: " + phases);
        }

        @Override
        public Settlement.HomeWord askHome(long deadline) {
            // on a thread of its own: asking home is network I/O that may hang past the deadline
            java.util.concurrent.CompletableFuture<CopyArbiter.Verdict> v = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> arbiter.settle(job.spec(), target), r -> {
                        Thread t = new Thread(r, "settle-" + job.id());
                        t.setDaemon(true);
                        t.start();
                    });
            try {
                return switch (v.get(Math.max(1, deadline - Monotonic.millis()), TimeUnit.MILLISECONDS)) {
                    case TARGET_HAS_IT -> Settlement.HomeWord.TARGET_HAS_IT;
                    case SOURCE_RESUMES -> Settlement.HomeWord.SOURCE_RESUMES;
                    case NO_ANSWER -> Settlement.HomeWord.NO_ANSWER;
                };
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                v.cancel(true);
                LOG.fine("home of " + job.id() + " gave no verdict: " + e);
                return Settlement.HomeWord.NO_ANSWER;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Settlement.HomeWord.NO_ANSWER;
            }
        }

        @Override
        public Boolean targetHas(long deadline) {
            Whereabouts w = peers.has(target, job.id(), deadline - Monotonic.millis());
            if (w == null) LOG.fine("no answer from " + target + " on job " + job.id());
            return w == null ? null : w.runsThere();
        }

        @Override
        public boolean homeGone() {
            return peers.isGone(job.spec().home());
        }

        @Override
        public boolean targetGone() {
            return peers.isGone(target);
        }

        @Override
        public void pause(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Closes the channel if the step outlasts its deadline (a write blocked on a peer that stopped reading). */
        private Cutoff cutoff(long deadline) {
            PeerChannel c = ch;
            return new Cutoff(java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    c.close();
                } catch (IOException e) {
                    // closed already
                }
            }, java.util.concurrent.CompletableFuture.delayedExecutor(Math.max(1, deadline - Monotonic.millis()) + CUTOFF_GRACE_MILLIS,
                    TimeUnit.MILLISECONDS)));
        }

        void close() {
            if (watch != null) watch.close();
            try {
                if (ch != null) ch.close();
            } catch (IOException e) {
                // closed already
            }
            TargetMigration.deleteTree(dir);
        }
    }

    /** After a step's deadline, the read timeout ends a wait; this is the backstop for a write that blocks past it. */
    private static final long CUTOFF_GRACE_MILLIS = 2000;

    private record Cutoff(java.util.concurrent.CompletableFuture<Void> timer) implements AutoCloseable {
        @Override
        public void close() {
            timer.cancel(false);
        }
    }

    /** Starts the soft-dirty probe; false if this kernel or job does not allow it (rounds are then judged by what they sent). */
    private static boolean clearSoftDirty(Job job) {
        try {
            SoftDirtyPages.clear(job.cgroup());
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.fine("no soft-dirty probe for job " + job.id() + ": " + e.getMessage());
            return false;
        }
    }

    /** Waits until {@code deadline} (System.nanoTime), if it is still ahead. */
    private static void sleepUntil(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return;
        try {
            TimeUnit.NANOSECONDS.sleep(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the next step's I/O ends at once
        }
    }

    private static SoftDirtyPages.Count softDirty(Job job) {
        try {
            return SoftDirtyPages.count(job.cgroup());
        } catch (IOException | RuntimeException e) {
            LOG.fine("soft-dirty pages of job " + job.id() + " unreadable: " + e.getMessage());
            return null;
        }
    }

    /** Where a migration's time went, for the log (each mark ends a phase). */
    private static final class Phases {
        private final StringBuilder text = new StringBuilder();
        private long last = System.nanoTime();

        void mark(String phase) {
            long now = System.nanoTime();
            if (text.length() > 0) text.append(", ");
            text.append(phase).append(' ').append((now - last) / 1_000_000).append(" ms");
            last = now;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /**
     * Image rounds: for each, the target starts a page server and sends its port and the
     * round's fresh keys, CRIU here writes the job's pages straight into it, sealed
     * ({@link PageLink}), then the round's other (small) image files follow over the peer
     * channel with their checksums, and the target confirms with the bytes of pages it got.
     */
    private static final class ImageRounds {
        private final PeerChannel ch;
        private final String target;
        private final Path dir;
        private final boolean plainAllowed;
        /** Whether the last round's pages went unsealed (the pool was founded with --page-streams plain). */
        boolean plain;
        long lastFileBytes;
        boolean dumped;
        /** When the last round's criu ended (System.nanoTime). */
        long criuEnded;
        private int lastRound;

        ImageRounds(PeerChannel ch, String target, Path dir, boolean plainAllowed) {
            this.ch = ch;
            this.target = target;
            this.dir = dir;
            this.plainAllowed = plainAllowed;
        }

        /**
         * When the job stopped in the last round, by CRIU's own account of it (freezing and
         * frozen time before it ended); {@code launched}, when criu was started, if it gave none.
         */
        long frozenSince(long launched) {
            try {
                return Math.max(launched, criuEnded - CriuStats.ofDump(dir.resolve(String.valueOf(lastRound))).stoppedMicros() * 1000);
            } catch (IOException e) {
                LOG.fine("no CRIU stats for the freeze: " + e.getMessage());
                return launched;
            }
        }

        /** Runs {@code criu ARGS} for round {@code n} into the target; returns the bytes of pages it moved. */
        long send(int n, List<String> criu, String log, long deadline) throws IOException {
            dumped = false;
            lastRound = n;
            String name = String.valueOf(n);
            Path round = dir.resolve(name);
            Files.createDirectories(round);
            FrameCodec.write(ch.out, new MigrationFrames.Pages(n, n - 1).frame());
            MigrationFrames.PagesReady ready;
            String linkInput;
            try {
                ready = MigrationFrames.PagesReady.of(expect(ch, MessageType.PAGES_READY, target, deadline));
                linkInput = PageLink.sourceLine(ready.keys(), plainAllowed, target);
            } catch (MalformedFrameException | IllegalArgumentException e) {
                throw new IOException("bad page-server answer from " + target + ": " + e.getMessage());
            }
            List<String> args = new ArrayList<>(criu);
            args.addAll(List.of("-D", round.toString(), "--page-server"));
            if (n > 1) args.addAll(List.of("--prev-images-dir", "../" + (n - 1)));
            Criu.runCommand(round, log, PageLink.toPageServer(ch.remoteAddress(), ready.port(), args), linkInput,
                    java.time.Duration.ofMillis(Math.max(1, deadline - Monotonic.millis())));
            plain = linkInput.startsWith(PageLink.PLAIN);
            criuEnded = System.nanoTime();
            dumped = true;
            lastFileBytes = ImageStream.send(ch.out, dir, name);
            return MigrationFrames.roundOk(expect(ch, MessageType.ROUND_OK, target, deadline));
        }
    }

    /** The next frame, read by {@code deadline}, must be {@code kind}; an ERROR frame is the target's reason. */
    private static Frame expect(PeerChannel ch, MessageType type, String target, long deadline) throws IOException {
        ch.readTimeout(Math.max(1, deadline - Monotonic.millis()));
        Frame f = FrameCodec.read(ch.in);
        if (f == null) throw new IOException(target + " closed the connection");
        if (f.type() == MessageType.ERROR) throw new IOException(f.text());
        if (f.type() != type) throw new IOException("unexpected frame " + f.type() + " from " + target);
        return f;
    }

    private static long unreadQuietly(Job job, int fd) {
        try {
            return JobImages.unreadOutput(job, fd);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Kills the copy CRIU left stopped here, and hands all of its output to home. */
    private static void retireStoppedCopy(Job job, long init) {
        try {
            // the launcher first: killed after its child, unshare would complain on the job's stderr
            job.launcher().destroyForcibly();
            new ProcessBuilder("kill", "-KILL", String.valueOf(init)).start().waitFor(5, TimeUnit.SECONDS);
            job.launcher().waitFor(30, TimeUnit.SECONDS);
            job.drainOutput();
        } catch (IOException | InterruptedException e) {
            LOG.warning("cannot retire the stopped copy of " + job.id() + ": " + e);
        }
        job.sink().moved();
    }
}
