package dev.mosvm.agent.checkpoint;

import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.jobs.Checkpoints;
import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.migrate.JobImages;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.api.CheckpointRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Takes checkpoints of the jobs running on this node: when asked (`migrate JOB checkpoint`,
 * `mosvm checkpoint`) and every {@code mosrun -A} minutes. A checkpoint is a CRIU dump written
 * straight into the job's home ({@link CheckpointStore}), so it outlives this node; it is
 * incremental on the last one this node took of the same running copy (CRIU's memory tracking
 * tells which pages were dirtied since), and full otherwise.
 *
 * <p>The job is frozen only for the dump: it is left stopped, the output it wrote before is
 * let through to home (so the checkpoint records exactly how many bytes of output precede it,
 * and a recovery prints none twice), then it runs on while its home sums the files and seals
 * them ({@link Sealer}).
 * Input and signals that arrive meanwhile are held and delivered after, as during a move; a
 * move and a checkpoint of one job never overlap.
 */
public final class Checkpointer implements Checkpoints, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Checkpointer.class.getName());
    /** How often periodic checkpoints are looked at: well under the shortest interval, a minute. */
    static final long TICK_MILLIS = 5_000;
    /** How long output written before the freeze may take to reach this agent's relay. */
    static final long DRAIN_MILLIS = 10_000;

    /**
     * What manifests are sealed with. It is no secret (every appliance carries it): the seal
     * tells a checkpoint's files from damaged or edited ones, and who may write a checkpoint at
     * all rests on its directory, which only root (the agents) can write.
     */
    public static final byte[] SEAL_KEY = sha256("mosvm checkpoint seal, format " + CheckpointManifest.FORMAT);

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private final JobTable table;
    private final Function<String, CheckpointStore> storeOfHome;
    private final Clock clock;
    /** The last checkpoint this node took of each job, with the very copy it dumped: the next is incremental on it. */
    private final Map<String, Taken> takenHere = new ConcurrentHashMap<>();
    private final Map<String, CheckpointRecord> latest = new ConcurrentHashMap<>();
    private final Compactions compactions;
    private final Supervised periodic;
    private final Path scratchRoot;

    private record Taken(Job copy, int number, Instant at) {}

    /**
     * How the node a job runs on has the job's home keep its checkpoints few, once it sealed one:
     * home folds and prunes them (pool.HomeFolds) with its own disk and CPU, not this node's
     * (the job's) over NFS. It returns at once; asking happens elsewhere, and one that fails is
     * only logged: the next checkpoint asks again, and until a fold, the next checkpoint is full.
     */
    public interface Compactions {
        void ask(String home, String job, int keep);
    }

    /**
     * Who sums a checkpoint's files and writes its signed manifest once the job runs again: the
     * job's home, on its own disk and CPU (pool.SealRequests), or the store itself.
     */
    public interface Sealer {
        CheckpointManifest seal(CheckpointStore store, Path dir, CheckpointManifest unsigned) throws IOException;

        /** Seals with the store itself: over NFS when the store is another node's. */
        Sealer HERE = CheckpointStore::seal;
    }

    /**
     * A seal asked of home whose outcome is not known (its answer lost, or late): home may be
     * sealing the checkpoint still, or have sealed it, so the taker must not delete it.
     */
    public static final class SealUnanswered extends IOException {
        public SealUnanswered(String message) {
            super(message);
        }
    }

    private final Sealer sealer;

    /** As below, each checkpoint sealed by the store itself ({@link Sealer#HERE}). */
    public Checkpointer(JobTable table, Function<String, CheckpointStore> storeOfHome, Path scratchRoot, Compactions compactions, Clock clock) {
        this(table, storeOfHome, scratchRoot, compactions, Sealer.HERE, clock);
    }

    /**
     * @param storeOfHome the store of a home node's checkpoints, by the node's name
     * @param scratchRoot where a restore keeps its notes (a tmpfs; the checkpoint itself stays untouched)
     * @param compactions asks a job's home to fold its checkpoints after each one is sealed
     * @param sealer      seals each checkpoint once its job runs again
     */
    public Checkpointer(JobTable table, Function<String, CheckpointStore> storeOfHome, Path scratchRoot, Compactions compactions, Sealer sealer,
                        Clock clock) {
        this.table = table;
        this.sealer = sealer;
        this.compactions = compactions;
        this.scratchRoot = scratchRoot;
        this.storeOfHome = storeOfHome;
        this.clock = clock;
        this.periodic = Supervised.periodic("checkpoints", TICK_MILLIS, TICK_MILLIS, this::tick);
    }

    @Override
    public CheckpointRecord checkpoint(String id, int uid) throws IOException {
        Job job = table.running(id);
        if (job == null) throw new IOException("job " + id + " does not run on " + table.self());
        if (uid != 0 && uid != job.uid()) throw new IOException("job " + id + " belongs to another user");
        return take(job);
    }

    @Override
    public CheckpointRecord latest(Job job) {
        return latest.get(job.id()); // filled by takes and the periodic tick, never on a listing's path (home's files may be slow)
    }

    @Override
    public Restorable prepare(String reference, int uid) throws IOException {
        String home = homeOfReference(reference);
        CheckpointStore store = storeOfHome.apply(home);
        if (!reference.contains("/") && store.latest(reference).isEmpty()) {
            throw new NoCheckpoint("no checkpoint of job " + reference + " at home " + home);
        }
        // verified, and later read by criu, while home folds none of the job's checkpoints
        CheckpointStore.Verified v = store.holding(store.jobOf(reference), () -> store.verify(reference, uid));
        CheckpointManifest m = v.manifest();
        Path dir = store.dirOf(m.job(), m.number());
        String name = m.job() + "/" + m.number();
        List<byte[]> sealedAs = manifestsOf(v.chain());
        return new Restorable() {
            @Override
            public JobSpec spec() {
                return m.spec();
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public Job restore() throws IOException {
                Path scratch = scratchRoot.resolve("restart-" + m.job());
                deleteQuietly(scratch);
                try {
                    Job job = store.holding(m.job(), () -> {
                        // a fold between the check and now changed the chain's files: check what is there now
                        if (!java.util.Arrays.deepEquals(sealedAs.toArray(), manifestsOf(v.chain()).toArray())) store.verify(name, uid);
                        return JobImages.restore(table, m.spec(), m.stdio(), scratch, dir, scratch, false);
                    });
                    job.outputBefore(m.outBytes(), m.errBytes());
                    // its input had ended: the new pipe ends too (a read would otherwise wait for ever)
                    if (m.stdinClosed()) job.control(dev.mosvm.agent.wire.Frame.empty(dev.mosvm.agent.wire.MessageType.STDIN_EOF));
                    LOG.info("job " + m.job() + " restored from checkpoint " + name + " (taken " + m.takenAt() + " on " + m.node() + ")");
                    return job;
                } catch (IOException e) {
                    throw new IOException("cannot restart from checkpoint " + name + ": " + e.getMessage());
                } finally {
                    deleteQuietly(scratch);
                }
            }
        };
    }

    /** The manifests of a verified chain as they are on disk now (a directory a fold removed reads as empty). */
    private static List<byte[]> manifestsOf(List<Path> chain) {
        List<byte[]> out = new java.util.ArrayList<>();
        for (Path d : chain) {
            try {
                out.add(java.nio.file.Files.readAllBytes(d.resolve(CheckpointStore.MANIFEST)));
            } catch (IOException e) {
                out.add(new byte[0]);
            }
        }
        return out;
    }

    /**
     * The home node whose store holds a checkpoint named by a job id ("ca.17", its latest),
     * "JOB/N", or a path under {@code /pool/HOME/}: a job's id begins with its home's name.
     */
    public static String homeOfReference(String reference) throws IOException {
        if (reference == null || reference.isBlank()) throw new IOException("no checkpoint named");
        if (reference.startsWith("/")) {
            Path p = Path.of(reference).normalize();
            Path pool = dev.mosvm.agent.layout.GuestLayout.POOL_ROOT;
            if (!p.startsWith(pool) || p.getNameCount() < pool.getNameCount() + 2) {
                throw new IOException(reference + " is not a checkpoint: checkpoints are under /pool/NODE/"
                        + dev.mosvm.agent.layout.GuestLayout.CHECKPOINTS_DIR_NAME);
            }
            return p.getName(pool.getNameCount()).toString();
        }
        String job = reference.contains("/") ? reference.substring(0, reference.indexOf('/')) : reference;
        int dot = job.lastIndexOf('.');
        if (dot <= 0) throw new IOException(reference + " names no checkpoint: give a job id (its latest), JOB/N, or a checkpoint's path");
        return job.substring(0, dot);
    }

    /** A job that ended by itself needs none of its checkpoints: they go (a lost or killed one's stay, for mosrun -R). */
    @Override
    public void ended(JobSpec spec) {
        takenHere.remove(spec.id());
        noPreDump.remove(spec.id());
        latest.remove(spec.id());
        try {
            storeOfHome.apply(spec.home()).forget(spec.id());
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot delete the checkpoints of ended job " + spec.id() + ": " + e.getMessage());
        }
    }

    /**
     * Checkpoints {@code job} now; throws with a one-line reason, the job running on whatever
     * happens. Once it is sealed and the job is free to move again, its home is asked to fold
     * and prune its checkpoints: this node prunes none itself, so only home ever deletes a
     * sealed checkpoint, and never while it folds (two deleters would race for the same
     * directories). Until home folds, the chain stays at {@code -N} + 1 and the next
     * checkpoint is full.
     */
    CheckpointRecord take(Job job) throws IOException {
        CheckpointRecord r;
        try {
            r = dumpAndSeal(job);
        } catch (PreDumpFailed e) {
            // from now on its full checkpoints are plain dumps: this one at once, not an interval later
            LOG.info("job " + job.id() + ": " + e.getMessage() + "; a plain full dump instead");
            noPreDump.add(job.id());
            r = dumpAndSeal(job);
        }
        compactions.ask(job.spec().home(), job.id(), job.spec().keepCheckpoints());
        return r;
    }

    /** The checkpoint of {@code take}, with the job marked as being checkpointed (a move waits) from the dump to the seal. */
    private CheckpointRecord dumpAndSeal(Job job) throws IOException {
        JobSpec spec = job.spec();
        if (table.peers().isGone(spec.home())) {
            throw new IOException("job " + job.id() + "'s home " + spec.home() + " is not answering: its checkpoints cannot be stored now");
        }
        if (!job.beginMigration()) throw new IOException("job " + job.id() + " is being moved or checkpointed, or has just finished");
        CheckpointStore store = storeOfHome.apply(spec.home());
        Path dir = null;
        boolean stopped = false;
        try {
            Taken mine = takenHere.get(job.id());
            // one more than is kept: home's compaction after the seal folds the chain back to -N, which bounds the storage
            int parent = Retention.parentFor(store.history(job.id()), mine != null && mine.copy() == job ? mine.number() : null,
                    spec.keepCheckpoints() + 1);
            dir = store.reserve(job.id());
            int number = Integer.parseInt(dir.getFileName().toString());
            List<String> stdio = JobImages.stdio(job);
            // a large job's full checkpoint: its memory is copied while it runs, the freeze writes only what it dirtied meanwhile
            long[] pre = null;
            job.stoppedFor(Job.CHECKPOINT); // recorded before a dump stops the job: an agent restarted while it is stopped lets it go
            if (parent == 0 && preDumps(job)) {
                try {
                    pre = JobImages.preDump(job, dir, dumpLimit(job));
                } catch (IOException e) {
                    job.dumpFailed();
                    job.resume(); // a pre-dump stopped part-way may have left it stopped; resuming a running job is harmless
                    throw new PreDumpFailed("its pre-dump failed: " + e.getMessage());
                }
            }
            long t0 = System.nanoTime();
            long pages;
            try {
                pages = pre != null ? JobImages.dumpStoppedAfterPreDump(job, dir, dumpLimit(job))
                        : JobImages.dumpStopped(job, dir, parent == 0 ? null : String.valueOf(parent), dumpLimit(job));
            } catch (IOException | RuntimeException e) {
                job.dumpFailed();
                throw e;
            } finally {
                stopped = job.launcher().isAlive(); // a failed dump lets the job run on; resuming a running one is harmless
            }
            long[] written = outputSoFar(job);
            job.resume();
            stopped = false;
            long frozen = (System.nanoTime() - t0) / 1_000_000 + (pre == null ? 0 : Math.max(0, pre[1]));
            String how = "";
            if (pre != null) {
                long dirtied = pages;
                try {
                    JobImages.wholeAfterPreDump(dir);
                } catch (IOException e) {
                    throw new PreDumpFailed("its pre-dumped checkpoint cannot be made whole: " + e.getMessage());
                }
                pages = JobImages.pagesBytes(dir);
                how = " (" + pre[0] / 1024 + " KiB pre-dumped while it ran, stopped " + (pre[1] < 0 ? "for a time CRIU did not say" : pre[1] + " ms")
                        + "; " + dirtied / 1024 + " KiB dirtied since)";
            }
            long t1 = System.nanoTime();
            CheckpointManifest unsigned = CheckpointManifest.unsigned(spec, number, parent, table.self(), imageVersion(), stdio,
                    job.stdinClosed(), written[0], written[1], pages, frozen);
            CheckpointManifest m;
            try {
                m = sealer.seal(store, dir, unsigned);
            } catch (SealUnanswered e) {
                m = sealedAnyway(store, unsigned);
                if (m == null) {
                    dir = null; // home may still seal it: an unsealed one is home's to prune, never this node's to delete
                    throw e;
                }
            }
            takenHere.put(job.id(), new Taken(job, number, clock.instant()));
            CheckpointRecord r = record(store, m);
            latest.put(job.id(), r);
            LOG.info("checkpoint " + number + " of job " + job.id() + (parent == 0 ? " (full)" : " (on " + parent + ")") + ": "
                    + pages / 1024 + " KiB of pages, frozen " + frozen + " ms, sealed in " + (System.nanoTime() - t1) / 1_000_000 + " ms" + how);
            return r;
        } catch (PreDumpFailed e) {
            if (dir != null) deleteQuietly(dir);
            throw e;
        } catch (IOException | RuntimeException e) {
            if (dir != null) deleteQuietly(dir);
            throw new IOException("cannot checkpoint job " + job.id() + ": " + e.getMessage() + " (it runs on)");
        } finally {
            if (stopped) {
                try {
                    job.resume();
                } catch (IOException e) {
                    LOG.warning("job " + job.id() + " may still be stopped after its checkpoint: " + e.getMessage());
                }
            }
            if (job.stoppedFor() != null) job.stoppedFor(null);
            job.migrationAborted(); // runs as before: what was held meanwhile is delivered
        }
    }

    /** The checkpoint {@code unsigned} names if home sealed it after all (its answer lost), or null. */
    private static CheckpointManifest sealedAnyway(CheckpointStore store, CheckpointManifest unsigned) {
        try {
            for (CheckpointManifest m : store.list(unsigned.job())) {
                if (m.number() == unsigned.number() && m.parent() == unsigned.parent() && m.node().equals(unsigned.node())) return m;
            }
        } catch (IOException e) {
            LOG.fine("cannot look for " + unsigned.name() + " at home: " + e.getMessage());
        }
        return null;
    }

    /**
     * The bytes of stdout and stderr the stopped job has written: once every byte waiting in its
     * pipes has been read by this agent, the counts of what was read are exact.
     */
    private static long[] outputSoFar(Job job) throws IOException {
        long deadline = System.nanoTime() + DRAIN_MILLIS * 1_000_000;
        long[] last = {-1, -1};
        while (true) {
            long unread = JobImages.unreadOutput(job, 1) + JobImages.unreadOutput(job, 2);
            long[] now = {job.stdoutBytes(), job.stderrBytes()};
            if (unread == 0 && now[0] == last[0] && now[1] == last[1]) return now; // and nothing read in between
            if (System.nanoTime() > deadline) {
                throw new IOException("its output is not reaching home (" + unread + " bytes waiting after " + DRAIN_MILLIS / 1000 + " s)");
            }
            last = now;
            try {
                Thread.sleep(unread == 0 ? 50 : 20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /**
     * Jobs from this much resident memory get a pre-dump before their full checkpoint's freeze:
     * below it, CRIU's extra run (about a second under emulation) costs more than the pages it
     * keeps out of the freeze.
     */
    static final long PRE_DUMP_MIN_KB = 16 << 10;
    /** A full checkpoint whose pre-dump failed, or could not be made whole: the job runs on, and is dumped plainly at once. */
    static final class PreDumpFailed extends IOException {
        PreDumpFailed(String message) {
            super(message);
        }
    }

    /** Jobs whose pre-dumped full checkpoint failed (their memory changed shape, say): no more pre-dumps. */
    private final java.util.Set<String> noPreDump = ConcurrentHashMap.newKeySet();

    private boolean preDumps(Job job) {
        return job.rssKb() >= PRE_DUMP_MIN_KB && !noPreDump.contains(job.id());
    }

    /** How long a dump may keep the job frozen: a minute, and a second more for each 4 MiB it holds (writing to home under emulation). */
    static Duration dumpLimit(Job job) {
        return Duration.ofSeconds(60 + Math.max(0, job.rssKb()) / 4096);
    }

    private void tick() {
        Instant now = clock.instant();
        for (Job job : table.jobs()) {
            int every = job.spec().checkpointEvery();
            if (every <= 0 || job.state() != Job.State.RUNNING || !job.launcher().isAlive()) continue;
            Instant last = lastAt(job);
            if (Duration.between(last, now).compareTo(Duration.ofMinutes(every)) < 0) continue;
            try {
                take(job);
            } catch (IOException e) {
                LOG.warning(e.getMessage());
                takenHere.compute(job.id(), (k, t) -> new Taken(t == null ? null : t.copy(), t == null ? 0 : t.number(), now)); // try again an interval on
            }
        }
        latest.keySet().retainAll(table.jobs().stream().map(Job::id).toList());
    }

    /** When the job was last checkpointed (by any node), or came to run here if later, or never: when it started here. */
    private Instant lastAt(Job job) {
        Taken t = takenHere.get(job.id());
        if (t != null) return t.at();
        Instant since = job.startedHere();
        try {
            Optional<CheckpointManifest> m = storeOfHome.apply(job.spec().home()).latest(job.id());
            if (m.isPresent()) {
                latest.put(job.id(), record(storeOfHome.apply(job.spec().home()), m.get()));
                Instant taken = Instant.parse(m.get().takenAt());
                if (taken.isAfter(since)) since = taken;
            }
        } catch (IOException | RuntimeException e) {
            LOG.fine("no earlier checkpoint of " + job.id() + " read: " + e.getMessage());
        }
        takenHere.put(job.id(), new Taken(null, 0, since));
        return since;
    }

    static CheckpointRecord record(CheckpointStore store, CheckpointManifest m) {
        long chain;
        try {
            chain = store.chainBytes(m);
        } catch (IOException e) {
            chain = -1;
        }
        return new CheckpointRecord(m.job(), m.number(), store.dirOf(m.job(), m.number()).toString(), m.takenAt(), m.node(),
                m.pagesBytes(), m.parent(), chain, m.frozenMillis(), m.spec().checkpointEvery());
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot remove " + dir + ": " + e.getMessage());
        }
    }

    private static String imageVersion() {
        try {
            return Files.readString(dev.mosvm.agent.layout.GuestLayout.IMAGE_VERSION).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        periodic.close();
    }
}
