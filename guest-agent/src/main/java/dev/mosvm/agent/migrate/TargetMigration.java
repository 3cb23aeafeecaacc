package dev.mosvm.agent.migrate;

import dev.mosvm.agent.sandbox.GuestUsers;
import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.balance.MoveMode;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobSink;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.MemoryArrival;
import dev.mosvm.agent.migrate.steps.StepDeadlines;
import dev.mosvm.agent.migrate.steps.TargetMachine;
import dev.mosvm.agent.migrate.steps.TargetMove;
import dev.mosvm.agent.migrate.steps.TargetPorts;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.MigrationFrames;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The target's side of a migration: the compatibility gate (same appliance image, the CPU
 * features the job's source had), the image rounds, a restore that leaves the job stopped,
 * and on the source's commit, registering it in the job table and resuming it with its output
 * going home. Its steps and their deadlines are {@link TargetMachine}'s: each wait for the
 * source's next frame, and the restore, ends by the step's deadline. If the source goes away
 * or falls silent before committing, the restored copy is killed: the source still has the job.
 */
final class TargetMigration {
    private static final Logger LOG = Logger.getLogger(TargetMigration.class.getName());
    /** Memory kept free on a target whatever a migration needs: the ushering threshold (agent, sshd, NFS, the node's own jobs). */
    static final long RESERVE_KB = dev.mosvm.agent.balance.BalancerConfig.DEFAULT.usherBelowKb();
    private final JobTable table;
    private final Path work;
    private final Admission admission;
    private final CpuFeatures cpuFeatures;

    TargetMigration(JobTable table, Path workRoot, Admission admission, CpuFeatures cpuFeatures) {
        this.table = table;
        this.work = workRoot;
        this.admission = admission;
        this.cpuFeatures = cpuFeatures;
    }

    void receive(PeerChannel ch, PeerRequest req, String imageVersion) throws IOException {
        try (PeerWatch watch = new PeerWatch(ch, table.peers(), ch.peer())) {
            receiveWatched(ch, req, imageVersion);
        }
    }

    private void receiveWatched(PeerChannel ch, PeerRequest req, String imageVersion) throws IOException {
        JobSpec spec = req.spec();
        PeerRequest.MigrationOffer offer = req.offer();
        Path dir = work.resolve(MemoryArrival.INCOMING_PREFIX + spec.id());
        Edge edge = null;
        try {
            String refusal = refusal(spec, offer, imageVersion, dir);
            if (refusal != null) {
                FrameCodec.writeText(ch.out, MessageType.ERROR, refusal);
                return;
            }
            FrameCodec.writeEmpty(ch.out, MessageType.ACCEPT);
            edge = new Edge(ch, spec, offer, dir);
            TargetMove.run(edge, new TargetMachine(new StepDeadlines(Math.max(0, offer.rssKb()) << 10), Monotonic::millis));
        } finally {
            if (edge != null) {
                edge.close();
            } else {
                deleteTree(dir);
            }
        }
    }

    /**
     * The real world of one incoming move, step by step for {@link TargetMove}: the peer channel
     * (each read bounded by the step's deadline), the page servers, CRIU's restore (stopped at the
     * step's deadline), the job table.
     */
    private final class Edge implements TargetPorts {
        private final PeerChannel ch;
        private final JobSpec spec;
        private final PeerRequest.MigrationOffer offer;
        private final Path dir;
        private final boolean home;
        private Frame frame;
        private Job restored;
        private boolean registered;
        private boolean running;
        private MemoryArrival lazy;
        /** Back home, the sink the copy was given before it ran: let go if the move is dropped. */
        private JobSink homeSink;
        private String timings = "";
        private PageServer pages;
        private Path pagesRound;
        private Job.Held held;
        private long resumeStart;

        Edge(PeerChannel ch, JobSpec spec, PeerRequest.MigrationOffer offer, Path dir) {
            this.ch = ch;
            this.spec = spec;
            this.offer = offer;
            this.dir = dir;
            this.home = spec.home().equals(table.self());
        }

        @Override
        public TargetMachine.Event next(long deadline) throws IOException {
            ch.readTimeout(Math.max(1, deadline - Monotonic.millis())); // a source that stops sending, or never commits, is given up
            frame = FrameCodec.read(ch.in);
            if (frame == null) throw new IOException("the source closed the connection");
            return switch (frame.type()) {
                case PAGES, FILE, LINK, ROUND_END -> TargetMachine.Event.ROUND;
                case RESTORE -> TargetMachine.Event.RESTORE;
                case COMMIT -> TargetMachine.Event.COMMIT;
                case RECORD -> TargetMachine.Event.RECORD;
                case ABORT -> throw new IOException("the source aborted");
                default -> throw new IOException("unexpected frame " + frame.type());
            };
        }

        @Override
        public void round(long deadline) throws IOException {
            if (frame.type() == MessageType.PAGES) {
                if (pages != null) throw new IOException("a round began before the last one ended");
                PageStreamKeys keys = table.peers().plainPageStreams(ch.peer()) ? null : PageStreamKeys.fresh(); // new keys for every connection
                try {
                    makeRoomForRound(dir);
                    pagesRound = roundDir(dir, MigrationFrames.Pages.of(frame));
                    pages = PageServer.start(pagesRound, ch.localAddress(), ch.remoteAddress(), keys);
                } catch (IOException e) {
                    FrameCodec.writeText(ch.out, MessageType.ERROR, "on " + table.self() + ": " + e.getMessage());
                    throw e;
                }
                FrameCodec.write(ch.out, new MigrationFrames.PagesReady(pages.port, PageLink.wire(keys)).frame());
                return;
            }
            long pageBytes = 0;
            try {
                ImageStream.receive(ch.in, dir, frame);
                if (pages != null) {
                    pages.finish(deadline - Monotonic.millis());
                    pageBytes = Criu.pagesBytes(pagesRound);
                    pages = null;
                }
            } catch (IOException e) {
                FrameCodec.writeText(ch.out, MessageType.ERROR, "on " + table.self() + ": " + e.getMessage());
                throw e;
            }
            FrameCodec.write(ch.out, MigrationFrames.roundOk(pageBytes));
        }

        @Override
        public void restore(long deadline) throws IOException {
            try {
                String round = String.valueOf(MigrationFrames.Restore.of(frame).round());
                long t0 = System.nanoTime();
                if (MoveMode.restoresLazily(offer.eagerRestore(), offer.rssKb())) lazy = LazyPages.start(spec.id(), dir.resolve(round), table.lazyCgroupFor(spec.id(), true));
                long t1 = System.nanoTime();
                restored = JobImages.restore(table, spec, offer.stdio(), dir, dir.resolve(round), dir.resolve(round), lazy != null,
                        java.time.Duration.ofMillis(Math.max(1, deadline - Monotonic.millis())));
                timings = (lazy == null ? "eager restore " : "lazy-pages set-up " + (t1 - t0) / 1_000_000 + " ms, lazy restore ")
                        + (System.nanoTime() - t1) / 1_000_000 + " ms";
            } catch (IOException e) {
                FrameCodec.writeText(ch.out, MessageType.ERROR, "restore on " + table.self() + " failed: " + e.getMessage());
                throw e;
            }
        }

        @Override
        public void restored() throws IOException {
            FrameCodec.writeEmpty(ch.out, MessageType.RESTORED);
        }

        @Override
        public void register() throws IOException {
            if (restored == null) throw new IOException("commit before restore");
            held = frame.json(Job.Held.class);
            if (held.out() < 0 || held.err() < 0) throw new IOException("a commit with output counts below zero");
            restored.outputBefore(held.out(), held.err()); // its output, and its checkpoints' counts, go on from the source's
            restored.beginMigration(); // input and signals from home wait behind what the source held
            // Back home the sink is local and may refuse, and the caller's input goes to
            // the job in the table as soon as the source stops relaying: both before the
            // job runs. Elsewhere the sink connects to home (under emulation, most of a
            // second) and home sends nothing before it has: after, the job's output
            // waiting in its pipe meanwhile, so the connection is not part of the freeze.
            // Either way the copy is in the table before it runs: a source that lost RUNNING
            // and asks whether the job runs here must never hear "no" while it does.
            if (home) {
                homeSink = table.sinkFor(spec);
                restored.sink(homeSink);
            }
            if (lazy != null) restored.memoryArriving(lazy.round());
            restored.stoppedFor(Job.RESTORED); // its record says so until it runs: a restart before then reaps it, the source has the job
            table.register(restored);
            registered = true;
            if (home) table.relay(restored);
        }

        @Override
        public void resume() throws IOException {
            resumeStart = System.nanoTime();
            restored.resume();
            running = true;
        }

        @Override
        public void running() throws IOException {
            IOException unanswered = null;
            try {
                FrameCodec.writeEmpty(ch.out, MessageType.RUNNING);
            } catch (IOException e) {
                unanswered = e; // the source settles with home or asks: the copy runs here all the same, so its output goes home
            }
            timings += ", resume " + (System.nanoTime() - resumeStart) / 1_000_000 + " ms";
            if (!home) {
                restored.sink(table.sinkFor(spec));
                table.relay(restored);
            }
            // an end of input the caller sent before the move comes after the input J had not read yet
            restored.finishMove(new Job.Held(held.signals(), held.input(), held.eof() || offer.stdinClosed()));
            LOG.info("job " + spec.id() + " from " + offer.from() + " runs here (" + timings + ")");
            if (unanswered != null) throw unanswered;
        }

        @Override
        public void record() throws IOException {
            MigrationRecord m = frame.json(MigrationRecord.class);
            restored.spec(spec.movedBy(m));
        }

        @Override
        public void drop(String why) {
            LOG.warning("incoming job " + spec.id() + " from " + offer.from() + " dropped here: " + why);
            if (restored != null && registered) {
                restored.migrated(); // this copy never ran: its end is not the job's
                table.unregister(restored);
            }
            if (homeSink != null) homeSink.abandon(); // after: a copy that ended meanwhile reports nothing
            if (restored != null) kill(restored);
        }

        @Override
        public void afterRunning(String why) {
            LOG.fine("after the job resumed here: " + why);
        }

        void close() {
            if (pages != null) pages.close();
            if (lazy != null && running) {
                lazy.follow(restored); // the images are its memory until every page is in: they go after
            } else {
                if (lazy != null) lazy.discard();
                deleteTree(dir);
            }
        }
    }

    /**
     * Makes the directory of a round a PAGES frame announced, with its link to the parent round:
     * CRIU's page server reads it to tell pages that stay in the parent.
     */
    static Path roundDir(Path dir, MigrationFrames.Pages pages) throws IOException {
        Path round = dir.resolve(String.valueOf(pages.round()));
        Files.createDirectories(round);
        if (pages.parent() != 0) {
            Path link = round.resolve("parent");
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of("..", String.valueOf(pages.parent())));
        }
        return round;
    }

    /**
     * Refuses a round this node cannot hold, and caps the images' tmpfs at what it can: a job
     * that keeps growing while it moves sends more with every round than its size at the offer
     * (a 240 MiB one, 530 MiB of images on a 768 MiB node: the OOM killer took the agent).
     */
    private void makeRoomForRound(Path dir) throws IOException {
        long staged = bytesUnder(dir);
        long availKb = dev.mosvm.agent.node.ProcFiles.memAvailableKb();
        long room = ImageScratch.roomForNextRound(availKb, staged, RESERVE_KB);
        if (room < ImageScratch.MIN_ROUND_BYTES) {
            throw new IOException(table.self() + " is short of memory for this job: " + availKb / 1024 + " MiB available, "
                    + staged / (1 << 20) + " MiB of its images here already");
        }
        ImageScratch.allowOnly(work, room);
    }

    private static long bytesUnder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Why this node cannot take the job, or null if it can. */
    private String refusal(JobSpec spec, PeerRequest.MigrationOffer offer, String imageVersion, Path dir) throws IOException {
        if (offer == null || spec == null) return "incomplete migration request";
        if (table.running(spec.id()) != null) return "job " + spec.id() + " already runs on " + table.self();
        if (!imageVersion.equals(offer.imageVersion())) {
            return table.self() + " runs appliance image " + imageVersion + ", not " + offer.imageVersion() + " like " + offer.from();
        }
        if (!spec.home().equals(table.self())) {
            String mustStay = GuestUsers.refusal(spec.id(), spec.uid(), spec.gid(), spec.home());
            if (mustStay != null) return mustStay;
            // moves a user asks for too: past the ceiling the restore would be killed
            String tooBig = table.guestLimits().refusal(table.self(), spec.id(), offer.rssKb(), offer.tasks());
            if (tooBig != null) return tooBig;
        }
        String busy = admission.refusal(spec, offer);
        if (busy != null) return busy;
        for (String p : offer.paths() == null ? List.<String>of() : offer.paths()) {
            if (!Files.exists(Path.of(p)) && !table.isInitDir(p)) { // the restore makes the init's own directory
                Path tree = GuestLayout.treeOf(spec.home());
                if (Path.of(p).startsWith(tree)) { // as the job sees it: its root is its home's tree
                    return "the job uses " + Path.of("/").resolve(tree.relativize(Path.of(p))) + ", which " + table.self() + " cannot open in "
                            + spec.home() + "'s tree (missing, or private to its user: keep such files under /pool/" + spec.home() + ")";
                }
                return "the job uses " + p + ", which does not exist on " + table.self() + " (keep a job's files under /pool/" + spec.home() + ")";
            }
        }
        deleteTree(dir);
        try {
            cpuFeatures.check(offer.cpuinfoBase64());
        } catch (IOException | IllegalArgumentException e) {
            return "the CPU of " + table.self() + " lacks features the job uses on " + offer.from() + " (criu cpuinfo check: " + e.getMessage() + ")";
        }
        return null;
    }

    private void kill(Job job) {
        try {
            long init = job.initPid();
            if (init > 0) new ProcessBuilder("kill", "-KILL", String.valueOf(init)).start().waitFor(5, TimeUnit.SECONDS);
            job.launcher().waitFor(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            LOG.warning("cannot kill the restored copy of " + job.id() + ": " + e);
        }
        JobTable.removeCgroup(job.cgroup());
        table.removeInitDir(job.id());
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warning("cannot clean " + dir + ": " + e.getMessage());
        }
    }
}
