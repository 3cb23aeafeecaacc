package dev.mosvm.agent.migrate;

import dev.mosvm.agent.jobs.Job;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MalformedFrameException;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.MigrationFrames;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The source's side of moving one job: pre-copy rounds while it runs, then freeze (CRIU dump,
 * leaving the job stopped here), send the last round, have the target restore it stopped,
 * commit, and only when the target says it runs, kill the stopped copy here. Until the
 * commit, every failure resumes the job here; after it, the target is asked whether the job
 * runs there before anything is decided, so the job runs in exactly one place.
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

    /** @param workOf the reference-core seconds a job has run (read when it is frozen: it travels with the job) */
    SourceMigration(String self, PeerDirectory peers, Path workRoot, CpuFeatures cpuFeatures, PrecopyPolicy policy, boolean eagerRestore,
                    MoveIntent intent, java.util.function.ToDoubleFunction<Job> workOf) {
        this.cpuFeatures = cpuFeatures;
        this.self = self;
        this.peers = peers;
        this.work = workRoot;
        this.policy = policy;
        this.eagerRestore = eagerRestore;
        this.intent = intent;
        this.workOf = workOf;
    }

    MigrationRecord run(Job job, String target, String imageVersion) throws IOException {
        long t0 = System.nanoTime();
        long init = job.initPid();
        Phases phases = new Phases();
        Path dir = work.resolve("out-" + job.id());
        boolean frozen = false;
        boolean committed = false;
        Job.Held held = Job.Held.NONE; // what reached the job during the move, once taken for the target
        job.sink().holdControl(); // the caller's input and signals stay at home from here: what came before is held here
        try (PeerChannel ch = peers.connect(target); PeerWatch watch = new PeerWatch(ch, peers, target)) {
            TargetMigration.deleteTree(dir);
            Files.createDirectories(dir);
            String cpu = cpuFeatures.ownRecord();
            long probeStart = System.nanoTime();
            boolean probing = policy.maxRounds() > 0 && clearSoftDirty(job); // the probe runs while the target checks the offer
            long rssKb = Math.max(0, job.rssKb());
            List<String> stdio = new ArrayList<>();
            for (int fd = 0; fd < 3; fd++) stdio.add(Criu.pipeOf(init, fd));
            PeerRequest.write(ch.out, PeerRequest.migrateIn(job.spec(), new PeerRequest.MigrationOffer(self, imageVersion, cpu, stdio,
                    job.stdinClosed(), Criu.pathsUsedBy(job.cgroup()), eagerRestore, intent.reason(), intent.rateHere(),
                    rssKb)));
            expect(ch, MessageType.ACCEPT, target);
            ImageRounds images = new ImageRounds(ch, target, dir, peers.plainPageStreams());
            phases.mark("gate");

            int rounds = 0;
            long bytes = 0;
            long prev = -1;
            if (probing) sleepUntil(probeStart + PrecopyPolicy.probeMillis(rssKb << 10) * 1_000_000);
            SoftDirtyPages.Count probe = probing ? softDirty(job) : null;
            long last = probe == null ? -1 : probe.residentBytes();
            if (probe != null) phases.mark("probe (" + probe.dirtyBytes() / 1024 + " KiB of " + last / 1024 + " dirtied)");
            long dirty = probe == null ? -1 : probe.dirtyBytes();
            while (policy.anotherRound(rounds, last, prev, dirty)) {
                rounds++;
                prev = rounds == 1 ? -1 : last;
                last = images.send(rounds, List.of("pre-dump", "-t", String.valueOf(init), "--track-mem"), "pre-dump.log");
                bytes += last + images.lastFileBytes;
                phases.mark("pre-dump " + rounds + " (" + last / 1024 + " KiB of pages)");
                SoftDirtyPages.Count now = probing ? softDirty(job) : null;
                dirty = now == null ? -1 : now.dirtyBytes();
            }

            long freezeStart = System.nanoTime();
            try {
                long pages = images.send(rounds + 1, List.of("dump", "-t", String.valueOf(init), "--track-mem", "--leave-stopped"), "dump.log");
                bytes += pages + images.lastFileBytes;
                freezeStart = images.frozenSince(freezeStart);
                phases.mark("dump (" + pages / 1024 + " KiB of pages, job frozen for the last "
                        + (images.criuEnded - freezeStart) / 1_000_000 + " ms of it)");
            } finally {
                frozen = images.dumped; // a failed dump leaves the job running; a dump whose files did not arrive leaves it stopped
            }
            double workDone = workOf.applyAsDouble(job); // frozen: its CPU time here is final
            FrameCodec.write(ch.out, new MigrationFrames.Restore(rounds + 1).frame());
            expect(ch, MessageType.RESTORED, target);
            phases.mark("restore");

            try {
                job.reclaimUnreadInput(Criu.takeUnreadPipeBytes(init, 0));
            } catch (IOException e) {
                LOG.warning("input job " + job.id() + " had not read yet stays behind: " + e.getMessage());
            }
            held = job.migrated(); // from here on the target's copy is the job
            committed = true;
            FrameCodec.write(ch.out, Frame.json(MessageType.COMMIT, held));
            try {
                expect(ch, MessageType.RUNNING, target);
            } catch (IOException e) {
                if (!runsOn(target, job.id())) throw e; // the target never resumed it: resume here (below)
            }
            long freezeEnd = System.nanoTime();
            phases.mark("resume");
            retireStoppedCopy(job, init);
            MigrationRecord record = new MigrationRecord(self, target, Instant.now().toString(), rounds,
                    (freezeEnd - freezeStart) / 1_000_000, (freezeEnd - t0) / 1_000_000, bytes, intent.reason(), intent.why(), workDone,
                    images.plain ? "plain" : "sealed");
            try {
                FrameCodec.write(ch.out, Frame.json(MessageType.RECORD, record));
            } catch (IOException e) {
                LOG.fine("record of " + job.id() + " not delivered: " + e.getMessage());
            }
            LOG.info("migrated job " + job.id() + " to " + target + ": " + record + "; phases: " + phases);
            return record;
        } catch (IOException | RuntimeException e) {
            if (committed && runsOnOrUnknown(target, job.id())) {
                retireStoppedCopy(job, init);
                throw new IOException("job " + job.id() + " moved to " + target + " but the migration did not finish cleanly: " + e.getMessage());
            }
            if (!job.launcher().isAlive() && !frozen) {
                job.migrationAborted();
                job.sink().keepControl();
                throw new IOException("job " + job.id() + " ended during its migration to " + target);
            }
            if (frozen) job.resume();
            job.finishMove(held); // a commit the target never acted on: what it was sent is delivered here
            job.sink().keepControl(); // and what home kept comes here after it
            LOG.warning("migration of job " + job.id() + " to " + target + " failed, the job runs on here: " + e.getMessage());
            throw new IOException("cannot migrate job " + job.id() + " to " + target + ": " + e.getMessage() + " (it runs on " + self + ")");
        } finally {
            TargetMigration.deleteTree(dir);
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
    private static void sleepUntil(long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) return;
        try {
            TimeUnit.NANOSECONDS.sleep(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
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
        long send(int n, List<String> criu, String log) throws IOException {
            dumped = false;
            lastRound = n;
            String name = String.valueOf(n);
            Path round = dir.resolve(name);
            Files.createDirectories(round);
            FrameCodec.write(ch.out, new MigrationFrames.Pages(n, n - 1).frame());
            MigrationFrames.PagesReady ready;
            String linkInput;
            try {
                ready = MigrationFrames.PagesReady.of(expect(ch, MessageType.PAGES_READY, target));
                linkInput = PageLink.sourceLine(ready.keys(), plainAllowed, target);
            } catch (MalformedFrameException | IllegalArgumentException e) {
                throw new IOException("bad page-server answer from " + target + ": " + e.getMessage());
            }
            List<String> args = new ArrayList<>(criu);
            args.addAll(List.of("-D", round.toString(), "--page-server"));
            if (n > 1) args.addAll(List.of("--prev-images-dir", "../" + (n - 1)));
            Criu.runCommand(round, log, PageLink.toPageServer(ch.remoteAddress(), ready.port(), args), linkInput);
            plain = linkInput.startsWith(PageLink.PLAIN);
            criuEnded = System.nanoTime();
            dumped = true;
            lastFileBytes = ImageStream.send(ch.out, dir, name);
            return MigrationFrames.roundOk(expect(ch, MessageType.ROUND_OK, target));
        }
    }

    /** The next frame must be {@code kind}; an ERROR frame is the target's reason. */
    private static Frame expect(PeerChannel ch, MessageType type, String target) throws IOException {
        Frame f = FrameCodec.read(ch.in);
        if (f == null) throw new IOException(target + " closed the connection");
        if (f.type() == MessageType.ERROR) throw new IOException(f.text());
        if (f.type() != type) throw new IOException("unexpected frame " + f.type() + " from " + target);
        return f;
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

    /**
     * After a commit whose answer was lost: does the target run the job? Asked until it
     * answers; a target the pool has declared gone cannot be running it.
     */
    private boolean runsOn(String target, String id) {
        while (true) {
            try (PeerChannel ch = peers.connect(target)) {
                PeerRequest.write(ch.out, PeerRequest.has(id));
                Frame f = FrameCodec.read(ch.in);
                if (f != null && f.type() == MessageType.REPLY) return f.json(Boolean.class);
            } catch (IOException e) {
                if (peers.isGone(target)) return false;
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true; // undecided: never risk a second copy
            }
        }
    }

    private boolean runsOnOrUnknown(String target, String id) {
        return runsOn(target, id);
    }
}
