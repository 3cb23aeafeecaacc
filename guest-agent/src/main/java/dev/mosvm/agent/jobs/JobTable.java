package dev.mosvm.agent.jobs;

import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.sandbox.GuestLimits;
import dev.mosvm.agent.sandbox.GuestUsers;
import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * This node's jobs: those running here (started here, or arrived by migration) and those whose
 * home is here (their callers are attached here, wherever the jobs run).
 */
public final class JobTable {
    private static final Logger LOG = Logger.getLogger(JobTable.class.getName());
    private final String self;
    private final Path cgroupRoot;
    private final PeerDirectory peers;
    private final String launcher;
    private final Path initRoot;
    private final Map<String, Job> running = new ConcurrentHashMap<>();
    private final Map<String, HomeRecord> homes = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    /** This node's speed (reference cores per CPU): turns a job's CPU seconds here into work. */
    private volatile double speed = 1.0;
    private volatile Checkpoints checkpoints = Checkpoints.NONE;
    /** Where each job running here has its directory for a restarted agent to adopt it from; null: none (jobs end with this agent). */
    private volatile JobRecords records;

    /** @param cgroupRoot where each job gets its cgroup (cgroup v2), or null for none */
    public JobTable(String self, Path cgroupRoot, PeerDirectory peers) {
        this(self, cgroupRoot, peers, LaunchCommand.LAUNCHER);
    }

    /** @param launcher the mosvm-launch program (tests build their own) */
    public JobTable(String self, Path cgroupRoot, PeerDirectory peers, String launcher) {
        this(self, cgroupRoot, peers, launcher, null);
    }

    /**
     * @param initRoot where each job's init gets its own working directory, local to this node
     *                 (CRIU's parasite mounts a proc there while it dumps the job), or null to
     *                 leave the init in the job's working directory
     */
    private volatile Path homesRoot;
    private volatile GuestLimits guestLimits = GuestLimits.forNode(1L << 20, dev.mosvm.agent.balance.BalancerConfig.DEFAULT.usherBelowKb());

    public JobTable(String self, Path cgroupRoot, PeerDirectory peers, String launcher, Path initRoot) {
        this.self = self;
        this.cgroupRoot = cgroupRoot;
        this.peers = peers;
        this.launcher = launcher;
        this.initRoot = initRoot;
        // ids stay unique across agent restarts: a restarted agent must not reuse a moved job's id
        nextId.set(System.currentTimeMillis() / 1000 % 1_000_000 * 1000 + 1);
        if (cgroupRoot != null && Files.isDirectory(cgroupRoot)) enableControllers(); // a restarted agent finds it made
    }

    /**
     * Jobs run with their home's whole tree as their root ({@code homesRoot/HOME}, docs/ssi.md),
     * so they see every path at home on any node. Null, as tests on a plain host leave it: the node's.
     */
    public void homeTrees(Path homesRoot) {
        this.homesRoot = homesRoot;
    }

    /** Whether a job finds every path of its home wherever it runs (else only /pool is shared). */
    public boolean seesHomeTrees() {
        return homesRoot != null;
    }

    /**
     * How long a job's start waits for its home's tree: a member that just joined or came back
     * has its /pool/HOME mounted a few seconds before the tree (ten NFS mounts under TCG, over
     * a relayed overlay).
     */
    static final long TREE_WAIT_MILLIS = 30_000;

    /** Whether {@code tree} is whole ({@link GuestLayout#treeComplete}), waiting up to {@code millis} for it. */
    static boolean treeReady(Path tree, long millis) {
        long until = System.nanoTime() + millis * 1_000_000;
        while (!GuestLayout.treeComplete(tree)) {
            if (System.nanoTime() - until > 0) return false;
            try {
                Thread.sleep(200); // polls a local tmpfs: cheap, and bounded by millis
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Whether every directory from "/" down to {@code dir} lets others in (o+x): what another
     * node needs to enter it in this home's tree, where its root is nobody. Unreadable: no.
     */
    public static boolean openToOthers(Path dir) {
        try {
            for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) return false;
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private Path treeOf(String home) {
        return homesRoot == null ? null : homesRoot.resolve(home);
    }

    public String self() {
        return self;
    }

    public PeerDirectory peers() {
        return peers;
    }

    /** Keeps a record of each job that runs here from now on in {@code r}, so an agent that restarts adopts it ({@link Adoption}). */
    public void keepRecords(JobRecords r) {
        records = r;
    }

    JobRecords records() {
        return records;
    }

    /**
     * The directory of job {@code id} for its record and its supervisor's status, made if new;
     * null if this table keeps no records or it cannot be made (the job then runs as one that
     * ends with this agent).
     */
    public Path jobDirFor(String id) {
        JobRecords r = records;
        if (r == null) return null;
        try {
            return r.dirFor(id);
        } catch (IOException e) {
            LOG.warning("no record of job " + id + " for an agent that restarts to adopt it: " + e.getMessage());
            return null;
        }
    }

    /** Removes job {@code id}'s directory unless a copy of the job runs here again (it came back). */
    public void removeJobDir(String id) {
        synchronized (recordWrites) { // a record written meanwhile would bring the directory back
            JobRecords r = records;
            if (r == null || running.containsKey(id)) return;
            try {
                r.remove(id);
            } catch (IOException e) {
                LOG.warning("cannot remove the record of job " + id + ": " + e.getMessage());
            }
        }
    }

    /** Rewrites the record of {@code job} if it is the copy of its job running here. */
    private void writeRecord(Job job) {
        synchronized (recordWrites) { // one at a time: each reads the job's state and writes it whole, so the last write holds the latest
            writeRecordNow(job);
        }
    }

    private final Object recordWrites = new Object();

    private void writeRecordNow(Job job) {
        JobRecords r = records;
        // a supervisor that has ended may have its pid taken by another process: its record is not rewritten (it goes with the job)
        if (r == null || running.get(job.id()) != job || !job.launcher().isAlive()) return;
        long pid = job.launcher().pid();
        Path memoryFrom = job.memoryFrom();
        try {
            r.write(new JobRecord(job.spec(), pid, JobRecords.startTime(pid), job.cgroup() == null ? null : job.cgroup().toString(),
                    job.stdinClosed(), job.outBefore(), job.errBefore(), memoryFrom != null,
                    memoryFrom == null ? null : memoryFrom.toString(), job.stoppedFor()));
        } catch (IOException e) {
            LOG.warning("cannot write the record of job " + job.id() + " (an agent that restarts will not adopt it): " + e.getMessage());
        }
    }

    /** The counts of output read from job {@code id}, kept in its directory {@code jobDir} if it has one. */
    private OutputCounts countsFor(String id, Path jobDir) {
        if (jobDir != null) {
            try {
                return records.freshCounts(id);
            } catch (IOException e) {
                LOG.warning("the output counts of job " + id + " stay in memory: " + e.getMessage());
            }
        }
        return OutputCounts.inMemory();
    }

    /** The tail of output read from job {@code id}, kept in its directory {@code jobDir} if it has one. */
    private OutputTail tailFor(String id, Path jobDir) {
        if (jobDir != null) {
            try {
                return OutputTail.fresh(records.dirFor(id));
            } catch (IOException e) {
                LOG.warning("job " + id + " keeps no output tail (an agent that restarts cannot send its last output again): " + e.getMessage());
            }
        }
        return OutputTail.none();
    }

    public String newId() {
        return self + "." + nextId.getAndIncrement();
    }

    public Job running(String id) {
        return running.get(id);
    }

    HomeRecord home(String id) {
        return homes.get(id);
    }

    /** The node this home knows job {@code id} of its own runs on, or null if it has no such job. */
    public String runnerOf(String id) {
        HomeRecord r = homes.get(id);
        return r == null ? null : r.where();
    }

    void addHome(HomeRecord r) {
        homes.put(r.spec.id(), r);
    }

    /**
     * Jobs whose caller heard they were lost, with the epoch any copy of theirs must reach to
     * be the job: a node that comes back with an older copy is told to stop it. Bounded: the
     * oldest are forgotten first.
     */
    private final Map<String, Integer> superseded = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > 4096;
        }
    });

    /** The job ended lost for its caller: every copy of it still out there is stale. */
    void supersede(String id, int epoch) {
        superseded.put(id, epoch + 1);
    }

    /** The epoch a copy of a job ended lost must exceed to be the job (0 if none was lost here). */
    int supersededEpoch(String id) {
        return superseded.getOrDefault(id, 0);
    }

    /** Stops a stale copy of a job here (home said a newer copy is the job): its end reports nothing. */
    private void killStale(Job j, String why) {
        j.migrated(); // as after a move: the copy's exit is not the job's
        running.remove(j.id(), j);
        try {
            List<String> cmd = new ArrayList<>(List.of("kill", "-KILL"));
            if (j.cgroup() != null) for (String pid : Files.readAllLines(j.cgroup().resolve("cgroup.procs"))) if (!pid.isBlank()) cmd.add(pid.strip());
            if (cmd.size() > 2) new ProcessBuilder(cmd).redirectErrorStream(true).start().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            j.launcher().destroyForcibly();
        } catch (IOException | InterruptedException e) {
            LOG.warning("cannot stop the stale copy of " + j.id() + ": " + e);
        }
        LOG.warning("stopped the stale copy of job " + j.id() + ": " + why);
    }

    /** Adds a home for a job that has none here; false if it has one (a caller waits on it already). */
    boolean addHomeIfAbsent(HomeRecord r) {
        return homes.putIfAbsent(r.spec.id(), r) == null;
    }

    /** The job's caller has its last frame: its home goes, and its ledger stays among the ended jobs'. */
    void removeHome(String id) {
        HomeRecord r = homes.get(id);
        if (r != null) ended.put(id, r.copies); // first: a settlement finds the one ledger, live or ended, at every moment
        homes.remove(id);
    }

    /**
     * The ledgers of jobs whose callers have had their last frame, and of jobs home settled a move
     * of without knowing them: a copy that reaches home late is judged as it would have been
     * while the caller waited (a target that reported the job's end has it; a fenced copy is
     * stopped). Bounded: the oldest are forgotten first.
     */
    private final Map<String, CopyLedger> ended = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CopyLedger> eldest) {
            return size() > 4096;
        }
    });

    /** The ledger of job {@code id}: its caller's, while one waits here, else an ended job's; null if home knows neither. */
    private CopyLedger ledger(String id) {
        HomeRecord r = homes.get(id);
        return r != null ? r.copies : ended.get(id);
    }

    /**
     * Settles the move of job {@code spec} (as its source sent it) to {@code target} for the
     * source, node {@code source} ({@link CopyLedger#settle}). A job home does not know (its
     * agent restarted, so its caller is gone; or it ended so long ago that it is forgotten) is
     * settled as any other: its target's copy has not reached this agent, so it is fenced and the
     * source resumes. Answering nothing instead would leave the source asking for ever, its copy
     * frozen, and the job run nowhere.
     */
    CopyLedger.Settlement settle(JobSpec spec, String target, String source) {
        CopyLedger ledger = ledger(spec.id());
        if (ledger == null) {
            ledger = ended.computeIfAbsent(spec.id(), k -> new CopyLedger(Math.max(spec.epoch(), supersededEpoch(k))));
            settledUnknown.add(spec.id());
        }
        CopyLedger.Settlement s = ledger.settle(CopyLedger.Copy.of(target, spec), source);
        LOG.warning("the move of job " + spec.id() + " from " + source + " to " + target + " went unanswered: "
                + (s.verdict() == CopyArbiter.Verdict.TARGET_HAS_IT ? target + "'s copy reached home, it is the job"
                : target + "'s copy is fenced, the one on " + source + " runs on (epoch " + s.epoch() + ")"));
        return s;
    }

    /**
     * A move's source asks home (this node) which copy of a job runs: one REPLY with the
     * verdict, or ERROR if this node is not the job's home. The source is the node the channel
     * proved; what home decides rests on its own ledger, never on the source's word.
     */
    public void serveSettle(PeerRequest req, PeerChannel link) throws IOException {
        JobSpec spec = req.spec();
        if (!spec.home().equals(self)) {
            FrameCodec.writeText(link.out, MessageType.ERROR, "the home of job " + spec.id() + " is " + spec.home() + ", not " + self);
            return;
        }
        CopyLedger.Settlement s = settle(spec, req.node(), link.peer());
        FrameCodec.write(link.out, new PeerRequest.Settled(s.verdict() == CopyArbiter.Verdict.TARGET_HAS_IT
                ? PeerRequest.Settled.TARGET_HAS_IT : PeerRequest.Settled.SOURCE_RESUMES, s.epoch()).frame());
    }

    /** Home settles the unanswered commits of moves from this node ({@link HomeArbiter}). */
    public CopyArbiter arbiter() {
        return new HomeArbiter(this, HomeArbiter.ASK_MILLIS);
    }

    /**
     * The copy of job {@code id} here is the job at epoch {@code epoch} from now on (home settled
     * its move this node's way): its spec, and the link that reattaches it to home, say so.
     */
    void renew(String id, int epoch) {
        Job j = running.get(id);
        if (j == null || j.spec().epoch() >= epoch) return;
        j.spec(j.spec().withEpoch(epoch));
        if (j.sink() instanceof RemoteSink r) r.renew(epoch);
    }

    /** The jobs whose home is here, whose callers wait here. */
    Collection<HomeRecord> homes() {
        return homes.values();
    }

    public int count() {
        return running.size();
    }

    public void speed(double s) {
        speed = s;
    }

    /** Reference-core seconds job {@code j} has run: on earlier nodes, plus its CPU time here at this node's speed. */
    public double workDone(Job j) {
        return j.spec().workBefore() + Math.max(0, j.cpuSeconds()) * speed;
    }

    /** Work done by every job running here, summed (gossiped: the balancer weighs whom a move would slow). */
    public double workDone() {
        double sum = 0;
        for (Job j : running.values()) sum += workDone(j);
        return sum;
    }

    /** The jobs running here now, in the order they started. */
    public List<Job> jobs() {
        return running.values().stream().sorted(Comparator.comparing(Job::started)).toList();
    }

    /** Where jobs' checkpoints are taken and found (set once the agent has them). */
    public void checkpoints(Checkpoints c) {
        checkpoints = c;
    }

    public Checkpoints checkpoints() {
        return checkpoints;
    }

    /** What `mosps` shows of each job running here, oldest first. */
    public List<JobView> views() {
        return running.values().stream().sorted(Comparator.comparing(Job::started))
                .map(this::view).toList();
    }

    private JobView view(Job j) {
        JobSpec s = j.spec();
        String state = !j.launcher().isAlive() ? "EXITED" : j.state().name();
        return new JobView(j.id(), j.uid(), userName(j.uid()), s.home(), self, state, j.argv(), s.started(),
                j.cpuSeconds(), j.rssKb(), s.migrations().size(), s.pinned(), s.migrations(), s.reason(), s.reasonWhy(),
                Math.round(workDone(j) * 10) / 10.0, !s.balanced(), checkpoints.latest(j), s.checkpointEvery());
    }

    private static String userName(int uid) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].equals(String.valueOf(uid))) return f[0];
            }
        } catch (Exception e) {
            // fall through to the number
        }
        return String.valueOf(uid);
    }

    /** Where a job whose home is here runs now, or null if it is not a job of this home. */
    public String whereIs(String id) {
        HomeRecord r = homes.get(id);
        return r == null ? null : r.where();
    }

    /**
     * Starts a job here as PID 1 (tini) of a new PID namespace in its own cgroup, as the user in
     * its spec. The returned job's output already flows to {@code sink}.
     */
    public Job start(JobSpec spec, Map<String, String> env, String cwd, JobSink sink) throws IOException {
        Path asked;
        try {
            asked = cwd == null ? Path.of("/") : Path.of(cwd);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IOException("the job's directory is no path: " + e.getMessage());
        }
        if (!asked.isAbsolute()) throw new IOException("the job's directory must be an absolute path, not " + cwd);
        Path tree = treeOf(spec.home());
        if (tree != null && !treeReady(tree, TREE_WAIT_MILLIS)) {
            throw new IOException(spec.home() + "'s files are not mounted on " + self + " yet (" + tree + ", waited " + TREE_WAIT_MILLIS / 1000 + " s)");
        }
        Path dir = tree == null ? asked : tree.resolve(Path.of("/").relativize(asked.normalize()));
        if (!Files.isDirectory(dir)) throw new IOException("no such directory on " + self + ": " + asked);
        if (tree != null && !Files.isExecutable(dir)) { // root is nobody in another home's tree
            throw new IOException("cannot enter " + asked + " on " + self + ": only its owner may, and " + self + " is not " + spec.home()
                    + "; start the job from a directory others can enter, such as /pool/" + spec.home() + " or /tmp");
        }
        Path cgroup = cgroupFor(spec);
        Path init = initDirFor(spec.id());
        Path jobDir = jobDirFor(spec.id());
        ProcessBuilder pb = new ProcessBuilder(LaunchCommand.of(launcher, spec.argv(), spec.uid(), spec.gid(),
                cgroup == null ? null : cgroup.toString(), init == null ? null : init.toString(), jobDir == null ? null : jobDir.toString(),
                tree == null ? null : tree.toString()));
        pb.environment().clear();
        if (env != null) pb.environment().putAll(env);
        pb.directory(dir.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            removeCgroup(cgroup);
            removeInitDir(spec.id());
            removeJobDir(spec.id());
            throw new IOException("cannot start the job: " + e.getMessage());
        }
        Job job = new Job(spec, Supervisor.of(p, jobDir != null), cgroup, sink, countsFor(spec.id(), jobDir), tailFor(spec.id(), jobDir));
        adopt(job);
        LOG.info("job " + spec.id() + " (home " + spec.home() + ") started for uid " + spec.uid() + ": " + spec.argv());
        return job;
    }

    /**
     * Takes a job into this node's table: relays its output and, when its launcher ends,
     * reports its status to its sink unless it has moved away meanwhile.
     */
    public void adopt(Job job) {
        register(job);
        relay(job);
    }

    /**
     * Puts a job into this node's table without relaying anything yet: from here on "does it run
     * here?" says yes. A migration's target registers a committed copy before resuming it, so no
     * instant exists where the copy runs and the table denies it; {@link #relay} follows.
     */
    public void register(Job job) {
        running.put(job.id(), job);
        job.onChange(() -> writeRecord(job));
        writeRecord(job);
    }

    /**
     * This agent is stopping (its JVM runs its shutdown hooks; only then, as the table stays
     * stopped): every job's pumps keep what they
     * have read and read no more, for at most {@code millis}, so the next agent finds each job's
     * unread output in its pipes and the rest in its tail ({@link Job#stopReading}).
     */
    public void stopReading(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        synchronized (pumping) {
            stopping = true; // no pumps start from here on, and no job's end is reported or cleared: the next agent does that
        }
        try {
            for (Job job : running.values()) job.stopReading(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Set once this agent stops ({@link #stopReading}); pumps start under {@link #pumping}. */
    private volatile boolean stopping;
    private final Object pumping = new Object();

    /** How long a stopping agent waits for its jobs' pumps to let go. */
    static final long STOP_READING_MILLIS = 3_000;

    /**
     * Has this JVM's orderly shutdown (SIGTERM: `systemctl stop` or `restart`) stop every job's
     * pumps first ({@link #stopReading}), so the agent that starts next loses no output.
     */
    public void stopReadingOnShutdown() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopReading(STOP_READING_MILLIS), "stop-reading-jobs"));
    }

    /** The directories of the images the memory of jobs here still arrives from (lazy restores not finished). */
    public java.util.Set<Path> memoryArrivingFrom() {
        java.util.Set<Path> dirs = new java.util.HashSet<>();
        for (Job job : running.values()) {
            Path round = job.memoryFrom();
            if (round != null && round.getParent() != null) dirs.add(round.getParent().toAbsolutePath().normalize());
        }
        return dirs;
    }

    /** Takes a registered job out again (its copy is being killed before it ever ran here). */
    public void unregister(Job job) {
        job.tail().close();
        running.remove(job.id(), job);
        removeJobDir(job.id());
    }

    /**
     * Relays a registered job's output to its sink and, when its launcher ends, reports its status
     * unless it has moved away meanwhile; then takes it out of the table.
     */
    public void relay(Job job) {
        synchronized (pumping) {
            if (stopping) return; // the next agent adopts it
            job.startPumps();
        }
        Thread waiter = new Thread(() -> {
            boolean reported = false;
            boolean forgotten = false;
            try {
                int status = job.launcher().waitFor();
                long endedAt = Monotonic.millis();
                job.drainOutput();
                if (stopping) return; // its pumps stopped before its output ended: the next agent reports its end from its record
                if (job.state() != Job.State.MOVED) {
                    String dumpDeath = job.dumpDeath(self, status, endedAt);
                    if (dumpDeath != null) {
                        LOG.warning(DumpDeath.forLog(dumpDeath) + ": its home brings it back from its checkpoint, or tells its caller");
                        if (job.spec().home().equals(self)) {
                            // home restores it here, into the same cgroup and init directory: this copy's go first
                            forget(job);
                            forgotten = true;
                        }
                        job.sinkDiedOfDump(status, dumpDeath);
                    } else {
                        LOG.info("job " + job.id() + " exited with " + status);
                        job.sinkExited(status);
                    }
                }
                reported = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (!forgotten && (reported || !stopping)) forget(job); // reported: the next agent must not report it again
            }
        }, "job-wait-" + job.id());
        waiter.setDaemon(true);
        waiter.start();
    }

    /** Takes an ended (or moved) job out of this node: its tail, its table entry, its cgroup, init and job directories. */
    private void forget(Job job) {
        job.tail().close();
        running.remove(job.id(), job);
        if (job.state() != Job.State.MOVED) removeCgroup(job.cgroup());
        removeInitDir(job.id()); // its processes here are gone, whether it ended or moved on
        removeJobDir(job.id());
    }

    /**
     * Where the output of a job that has just arrived here should go: its caller, if home is
     * this node (after the previous node's output has all been relayed), else a link to home.
     */
    public JobSink sinkFor(JobSpec spec) throws IOException {
        if (spec.home().equals(self)) {
            HomeRecord r = homes.get(spec.id());
            if (r == null) throw new IOException("job " + spec.id() + " has no caller left at home");
            CopyLedger.Copy copy = CopyLedger.Copy.of(self, spec);
            CopyLedger.Arrival a = r.copies.arrive(copy);
            // a stale copy coming home is let in as before; one whose move home settled away is not
            if (a == CopyLedger.Arrival.SETTLED_AWAY) throw new IOException("the copy of job " + spec.id() + " that arrived home is " + fenced(a));
            return r.arrivingHome(self, copy);
        }
        return RemoteSink.attach(spec, peers, f -> control(spec.id(), f));
    }

    /**
     * A job CRIU restored here, still stopped: not in the table until its migration commits.
     *
     * @param jobDir the directory given to its supervisor ({@link #jobDirFor}), or null if none was
     */
    public Job restoredJob(JobSpec spec, Process supervisor, Path cgroup, Path jobDir) {
        return new Job(spec, Supervisor.of(supervisor, jobDir != null), cgroup, null, countsFor(spec.id(), jobDir), tailFor(spec.id(), jobDir));
    }

    /** Runs a job here for its home elsewhere; its output and control travel on {@code link}. */
    public void startForHome(PeerRequest req, PeerChannel link) throws IOException {
        JobSpec spec = req.spec();
        String mustStay = GuestUsers.refusal(spec.id(), spec.uid(), spec.gid(), spec.home());
        if (mustStay != null) throw new IOException(mustStay);
        // home sends piped input right behind the request: it waits until the job is in the table
        CountDownLatch started = new CountDownLatch(1);
        RemoteSink sink = new RemoteSink(spec, link, peers, f -> {
            try {
                started.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            control(spec.id(), f);
        });
        try {
            start(spec, req.env(), req.cwd(), sink);
        } finally {
            started.countDown();
        }
    }

    /**
     * Jobs home settled a move of without knowing them (its agent had restarted): the source's
     * copy, resumed on home's word, attaches next and is taken on with that ledger, not refused
     * as the replayed exit of a job that ended here.
     */
    private final java.util.Set<String> settledUnknown = ConcurrentHashMap.newKeySet();

    /** Home's side of a link from the node a job runs on: relays until the job ends or moves on. */
    public void attachFromRunner(PeerRequest req, PeerChannel link) throws IOException {
        HomeRecord r = homes.get(req.job());
        CopyLedger ledger = r != null ? r.copies : ended.get(req.job());
        // whether the copy reached home is judged in one step with any settlement of its move
        CopyLedger.Arrival arrival = ledger == null ? CopyLedger.Arrival.ADMITTED : ledger.arrive(CopyLedger.Copy.of(link.peer(), req.spec()));
        int epoch = req.spec().epoch();
        if (arrival == CopyLedger.Arrival.ADMITTED && r == null && epoch < supersededEpoch(req.job())) arrival = CopyLedger.Arrival.STALE;
        if (arrival != CopyLedger.Arrival.ADMITTED) {
            String why = arrival == CopyLedger.Arrival.SETTLED_AWAY ? fenced(arrival)
                    : r != null ? "stale: its home brought the job back from a checkpoint after that node was lost"
                    : epoch < supersededEpoch(req.job()) ? "stale: the job ended lost with that node" : fenced(arrival);
            FrameCodec.writeText(link.out, MessageType.FENCED, "the copy of job " + req.job() + " on " + link.peer() + " is " + why + "; it is stopped");
            LOG.warning((arrival == CopyLedger.Arrival.SETTLED_AWAY ? "settled-away" : "stale") + " copy of job " + req.job() + " (epoch " + epoch
                    + ") on " + link.peer() + " fenced");
            return;
        }
        // a job home knows nothing of (not one that ended here: that is its exit replayed, and ERROR settles it)
        if (r == null && (ledger == null || settledUnknown.contains(req.job()))) {
            r = callerless(req.spec(), link.peer(), "attached from " + link.peer() + " with no caller waiting here (this agent restarted)", ledger);
            if (r != null) settledUnknown.remove(req.job());
        }
        if (r == null) {
            FrameCodec.writeText(link.out, MessageType.ERROR, "no caller of job " + req.job() + " is waiting on " + self);
            return;
        }
        JobServer.relay(r, link, CopyLedger.Copy.of(link.peer(), req.spec()));
    }

    /** Where a job's output goes at its home once its caller is gone ({@link OutputFiles}); null: such a job is refused. */
    private volatile Path callerlessOutput;

    /** How long a job taken on again waits for its caller ({@code mosrun} retries for longer: 120 s from losing its agent). */
    public static final long CALLER_GRACE_MILLIS = 60_000;
    private volatile long callerGraceMillis = CALLER_GRACE_MILLIS;

    /**
     * Jobs of this home that attach with no caller waiting (this agent restarted) wait {@link
     * #CALLER_GRACE_MILLIS} for their caller to reattach, then write their output under {@code root}.
     */
    public void deliverCallerlessTo(Path root) {
        deliverCallerlessTo(root, CALLER_GRACE_MILLIS);
    }

    public void deliverCallerlessTo(Path root, long graceMillis) {
        callerGraceMillis = graceMillis;
        callerlessOutput = root;
    }

    /**
     * A job of this home with no caller waiting for it here: this agent restarted (or this node
     * rebooted) while it ran, and its caller went with the old agent. It attaches from the node
     * it runs on ({@code node}), or this agent adopts it here ({@code node} is this one). Home
     * takes it on again, so the job is managed here as before (listed, moved, recovered) and what
     * it prints reaches its owner: its caller, {@code mosrun}, reattaches within the grace
     * ({@link HomeRecord#reattach}), or else files take its place ({@link OutputFiles}). Null if it
     * is not this home's job, it has a home record already, or its files cannot be made.
     */
    HomeRecord callerless(JobSpec spec, String node, String how) {
        return callerless(spec, node, how, null);
    }

    /** @param ledger the job's ledger home keeps already (it settled a move of the job), or null for a new one */
    private HomeRecord callerless(JobSpec spec, String node, String how, CopyLedger ledger) {
        long graceMillis = callerGraceMillis;
        Path root = callerlessOutput;
        if (root == null || !self.equals(spec.home())) return null;
        OutputFiles files;
        try {
            files = OutputFiles.open(root, spec.id(), spec.uid(), spec.gid());
        } catch (IOException e) {
            LOG.warning("job " + spec.id() + " " + how + "; its output has nowhere to go: " + e);
            return null;
        }
        HomeRecord r = HomeRecord.awaitingCaller(spec, node, files::stream, graceMillis, ledger);
        if (!addHomeIfAbsent(r)) { // another copy's attach took it on first: this one attaches again, and the ledger judges it
            files.close();
            return null;
        }
        r.copies.arrive(CopyLedger.Copy.of(node, spec));
        r.exit.whenComplete((status, failure) -> {
            try {
                r.lastFrame(HomeRecord.lastFrameOf(status, failure));
                if (status != null && status < 128) checkpoints.ended(spec);
            } catch (IOException e) {
                LOG.warning("job " + spec.id() + "'s end could not be written to " + files.files() + ".status: " + e);
            } finally {
                if (r.reattached()) files.discard(); // its caller came back and had it all
                else files.close();
                removeHome(spec.id());
            }
        });
        LOG.warning("job " + spec.id() + " of uid " + spec.uid() + " " + how + ": its output waits " + graceMillis / 1000
                + " s for its caller to reattach, then goes with its exit status to " + files.files() + ".{out,err,status}");
        return r;
    }

    private static String fenced(CopyLedger.Arrival a) {
        return a == CopyLedger.Arrival.SETTLED_AWAY
                ? "fenced: its move's commit went unanswered and home settled that the copy on the node it left runs on"
                : "stale: a newer copy of it runs";
    }

    /**
     * A peer asks for a checkpoint of a job running here: this node's own checkpoints take it,
     * never passed on (the asking node found the job here). One REPLY with its record, or ERROR.
     */
    public void serveCheckpoint(PeerRequest req, PeerChannel link) throws IOException {
        CheckpointRecord c;
        try {
            c = checkpoints.checkpoint(req.job(), req.uid());
        } catch (IOException | RuntimeException e) {
            FrameCodec.writeText(link.out, MessageType.ERROR, String.valueOf(e.getMessage()));
            return;
        }
        FrameCodec.write(link.out, Frame.json(MessageType.REPLY, c));
    }

    private void control(String id, Frame f) {
        Job j = running.get(id);
        if (j == null) return;
        if (f.type() == MessageType.FENCED) {
            killStale(j, f.text());
            return;
        }
        try {
            // home holds the caller's frames from a move's start (HOLD): one here now was lost in flight
            if (!j.control(f)) LOG.warning("job " + id + " has moved on: a frame of kind " + f.type() + " from home came too late");
        } catch (IOException e) {
            LOG.fine("job " + id + " no longer takes input: " + e.getMessage());
        }
    }

    /**
     * The job's cgroup, made on first use; a guest's (a job whose home is another node) gets the
     * guest limits, written before a start or a restore puts the job in (CRIU restores no cgroup
     * v2 settings). A guest whose limits cannot be written does not start here: the caller hears
     * why, and a move leaves the job where it was. A job at home keeps the kernel's defaults: a
     * node is a job's home or not for all of its life, so its same-named cgroup never held a
     * guest's limits.
     */
    public Path cgroupFor(JobSpec spec) throws IOException {
        Path dir = cgroupFor(spec.id());
        if (dir != null && !spec.home().equals(self)) {
            enableControllers(); // a limit's file exists only under a parent that hands down its controller
            for (Map.Entry<String, String> f : guestLimits().cgroupFiles().entrySet()) {
                try {
                    Files.writeString(dir.resolve(f.getKey()), f.getValue());
                } catch (IOException e) {
                    removeCgroup(dir);
                    throw new IOException(self + " cannot set " + f.getKey() + " for guest " + spec.id() + " (" + e.getMessage()
                            + "), and runs no guest without its limits");
                }
            }
        }
        return dir;
    }

    /** What a guest may take here: set by the agent from this node's memory; until then the figures of a 1 GiB node. */
    public GuestLimits guestLimits() {
        return guestLimits;
    }

    public void guestLimits(GuestLimits limits) {
        this.guestLimits = java.util.Objects.requireNonNull(limits);
    }

    private Path cgroupFor(String id) {
        return cgroupNamed("job-" + id, "job " + id);
    }

    /**
     * The cgroup of the daemon copying job {@code id}'s memory in after a lazy restore
     * ({@link MemoryArrival}), made if {@code make}: out of the agent's own, so it outlives an
     * agent restart; its own, not the job's, which a checkpoint freezes while that daemon must
     * serve the job's faults. Null when this table has no cgroups.
     */
    public Path lazyCgroupFor(String id, boolean make) {
        if (!make) return cgroupRoot == null ? null : cgroupRoot.resolve(LAZY_CGROUP_PREFIX + id);
        return cgroupNamed(LAZY_CGROUP_PREFIX + id, "the lazy restore of job " + id);
    }

    /** How the cgroup of a lazy restore's daemon is named, followed by the job's id. */
    public static final String LAZY_CGROUP_PREFIX = "lazy-";

    private Path cgroupNamed(String name, String forWhat) {
        if (cgroupRoot == null) return null;
        try {
            if (!Files.isDirectory(cgroupRoot)) {
                Files.createDirectories(cgroupRoot);
                enableControllers();
            }
            Path dir = cgroupRoot.resolve(name);
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            LOG.warning("no cgroup for " + forWhat + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * The working directory of the job's init (tini), made on first use: the same path on every
     * node the job runs on, as CRIU restores a working directory by its path. Null when this
     * table has no init root.
     */
    public Path initDirFor(String id) throws IOException {
        if (initRoot == null) return null;
        Path dir = initRoot.resolve(id);
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(initRoot);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }

    /** Whether {@code path} is a job init's working directory here (made by the restore, so no job file). */
    public boolean isInitDir(String path) {
        return initRoot != null && Path.of(path).normalize().startsWith(initRoot);
    }

    /** Removes the job's init directory unless a copy of the job runs here again (it came back). */
    public void removeInitDir(String id) {
        if (initRoot == null || running.containsKey(id)) return;
        try {
            Files.deleteIfExists(initRoot.resolve(id)); // empty: CRIU's parasite detaches and removes its mount point
        } catch (IOException e) {
            LOG.warning("cannot remove the init directory of job " + id + ": " + e.getMessage());
        }
    }

    /**
     * All jobs' CPU weight against the system's services (system.slice has 100): when jobs fill
     * the CPUs, the agent, CRIU, sshd and the NFS server still get most of the CPU they ask
     * for, so a saturated node still moves its jobs away quickly and answers its peers.
     */
    static final int JOBS_CPU_WEIGHT = 20;

    /** CPU, memory and process accounting for every job's cgroup (each line may be refused on its own). */
    private void enableControllers() {
        for (Path control : List.of(cgroupRoot.getParent().resolve("cgroup.subtree_control"), cgroupRoot.resolve("cgroup.subtree_control"))) {
            for (String c : List.of("+cpu", "+memory", "+pids")) {
                try {
                    Files.writeString(control, c);
                } catch (IOException e) {
                    LOG.fine("cannot enable " + c + " in " + control + ": " + e.getMessage());
                }
            }
        }
        try {
            Files.writeString(cgroupRoot.resolve("cpu.weight"), String.valueOf(JOBS_CPU_WEIGHT));
        } catch (IOException e) {
            LOG.fine("no CPU weight for the jobs' cgroup: " + e.getMessage());
        }
    }

    public static void removeCgroup(Path dir) {
        if (dir == null) return;
        for (int i = 0; i < 20; i++) {
            try {
                Files.deleteIfExists(dir); // rmdir: the kernel refuses while any process is left in it
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(50); // the last processes are still being reaped
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
        LOG.fine("cgroup " + dir + " kept: processes remain");
    }
}
