package dev.mosvm.agent.jobs;

import dev.mosvm.agent.timekeeping.Monotonic;
import dev.mosvm.agent.guard.ByteBudget;
import dev.mosvm.agent.guard.ConnectionGate;
import dev.mosvm.agent.guard.Deadline;
import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.guard.WaitingRoom;
import dev.mosvm.agent.guard.Workers;
import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.recovery.RunnerAsk;
import dev.mosvm.agent.recovery.RunnerWatch;
import dev.mosvm.agent.sandbox.GuestUsers;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.OutputPosition;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.Whereabouts;
import dev.mosvm.agent.wire.WireLimits;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrationMode;
import dev.mosvm.api.MigrationRecord;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Serves `mosrun`, `mosps` and `migrate` (moves and checkpoints) callers on this node over a
 * Unix socket that any user may open: the kernel tells who is calling (SO_PEERCRED), and the
 * job runs as that user. This node is the home of the jobs started here, wherever they run: output flows back
 * as it is produced, the caller's input, end of input and signals flow to the job, and the
 * last frame is the exit status. A caller that goes away (its terminal closed, or it was
 * killed) takes its job with it: the job gets SIGHUP, as a terminal's processes do. A job
 * whose node is gone (DEAD, LEFT or removed in the gossip) is lost, as it has no checkpoint:
 * its caller's last frame is then LOST, with a line naming that node.
 *
 * <p>Any user may open the socket, so no user can exhaust the agent through it: a connection's
 * request line must arrive within {@link ServingLimits#OPENING_MILLIS} of its accept while few per
 * user are read at once ({@link #openings}; a burst beyond waits unread, in {@link #waiting}), request lines being read share {@link #requestBytes}, and
 * callers served at once are bounded per user and overall ({@link #callers}). A connection over a
 * bound is closed at once, unread, or told it is over it.
 */
public final class JobServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JobServer.class.getName());
    private static final int SIGHUP = 1;

    /** Moves a job somewhere in the pool for a user; throws with a one-line reason. */
    public interface Migrations {
        MigrationRecord migrate(String job, String node, int uid, MigrationMode mode) throws IOException;
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final JobTable table;
    private final PoolJobs poolJobs;
    private final Placement placement;
    private final Clock clock;
    /** Looks at the nodes this home's jobs run on (every second). */
    private final Supervised runnerWatch;
    private final ConnectionGate openings = new ConnectionGate("a job-socket connection", ServingLimits.JOB_OPENINGS,
            ServingLimits.JOB_OPENINGS_PER_USER);
    private final ConnectionGate callers = new ConnectionGate("a job request", ServingLimits.JOB_CALLERS,
            ServingLimits.JOB_CALLERS_PER_USER);
    /** A user's burst of mosruns over the openings bound waits here, unread, for a place (up to the opening deadline). */
    private final WaitingRoom<Caller> waiting = new WaitingRoom<>(openings, ServingLimits.JOB_OPENINGS_PER_USER,
            ServingLimits.JOB_OPENINGS, this::start);
    private final ByteBudget requestBytes = new ByteBudget(ServingLimits.JOB_REQUEST_BYTES);
    /** A thread for each caller the gates admit (a running job's caller has one or two more of its own). */
    private final ExecutorService workers = Workers.upTo(ServingLimits.JOB_OPENINGS + ServingLimits.JOB_CALLERS, "job-caller");
    private final Supervised acceptLoop;

    /** Whose jobs may run on other nodes; tests, which run as root, put theirs on another node with it. */
    private volatile java.util.function.BiPredicate<Integer, Integer> leavesHome = GuestUsers::mayLeaveHome;

    public JobServer(Path socket, JobTable table, Migrations migrations, Placement placement) throws IOException {
        this(socket, table, migrations, placement, Clock.systemDefaultZone(), WATCH_EVERY);
    }

    /**
     * @param clock      the time a job's node is seen gone, told in this clock's zone
     * @param watchEvery between looks at the nodes this home's jobs run on
     */
    JobServer(Path socket, JobTable table, Migrations migrations, Placement placement, Clock clock, Duration watchEvery) throws IOException {
        this.socket = socket;
        this.table = table;
        this.poolJobs = new PoolJobs(table, migrations);
        this.placement = placement;
        this.clock = clock;
        Files.createDirectories(socket.toAbsolutePath().getParent());
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-")); // identity comes from the kernel
        acceptLoop = Supervised.loop("jobs-accept", this::acceptOne);
        runnerWatch = Supervised.periodic("jobs-runner-watch", watchEvery.toMillis(), watchEvery.toMillis(), this::watchRunners);
        LOG.info("jobs on " + socket);
    }

    public JobTable table() {
        return table;
    }

    /** The list and the moves this server's callers ask for, for the agent's API to offer too. */
    public PoolJobs poolJobs() {
        return poolJobs;
    }

    /** Accepts one caller and starts serving it, or closes it at once if its user is over a bound; false once closed. */
    private boolean acceptOne() throws IOException, InterruptedException {
        SocketChannel c;
        try {
            c = server.accept();
        } catch (IOException e) {
            if (!server.isOpen()) return false;
            throw e; // out of file descriptors, say: the supervisor pauses before the next accept
        }
        String user;
        try {
            user = c.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | RuntimeException e) {
            c.close();
            return true;
        }
        // the opening's deadline runs from here: waiting for a place counts against it
        Deadline deadline = Deadline.closing(c, ServingLimits.OPENING_MILLIS);
        if (!waiting.enter(user, new Caller(c, user, deadline))) {
            deadline.close();
            c.close();
        }
        return true;
    }

    /** A connection accepted, its caller known, its opening's deadline running. */
    private record Caller(SocketChannel channel, String user, Deadline deadline) implements java.nio.channels.Channel {
        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            deadline.close();
            channel.close();
        }
    }

    /** Starts serving a caller that has its place among the openings, or lets it go if no thread is to be had. */
    private void start(Caller c, ConnectionGate.Permit opening) {
        try {
            workers.execute(() -> serve(c.channel(), c.user(), opening, c.deadline()));
        } catch (RuntimeException | Error e) { // every thread busy for the moment (as over a bound), or none to be had
            opening.close();
            try {
                c.close();
            } catch (IOException ignored) {
                // closed anyway
            }
            if (!(e instanceof RejectedExecutionException)) LOG.warning("no thread for a job caller: " + e);
        }
    }

    private void serve(SocketChannel channel, String user, ConnectionGate.Permit opening, Deadline openingDeadline) {
        try (channel) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(ChannelStreams.in(channel)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(channel)));
            int uid;
            int gid;
            JobRequest req;
            try (opening; Deadline deadline = openingDeadline) {
                UnixDomainPrincipal who = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
                uid = numericId(who.user().getName(), "passwd");
                gid = numericId(who.group().getName(), "group");
                try {
                    req = Json.MAPPER.readValue(readLine(in, requestBytes), JobRequest.class);
                } catch (IOException e) {
                    deadline.check("the request line"); // too late: closed, nothing to answer
                    error(out, "bad request: " + e.getMessage());
                    return;
                }
            }
            ConnectionGate.Permit calling = callers.admit(user);
            if (calling == null) {
                error(out, "busy: this node serves " + ServingLimits.JOB_CALLERS_PER_USER + " requests per user and "
                        + ServingLimits.JOB_CALLERS + " in all at once; try again when some have ended");
                return;
            }
            try (calling) {
                try {
                    switch (req.op() == null ? "run" : req.op()) {
                        case "list" -> {
                            FrameCodec.write(out, Frame.json(MessageType.LIST, poolJobs.list()));
                            return;
                        }
                        case "migrate" -> {
                            answer(out, () -> poolJobs.migrate(req.job(), req.node(), uid, req.mode()));
                            return;
                        }
                        case "checkpoint" -> {
                            answer(out, () -> poolJobs.checkpoint(req.job(), uid));
                            return;
                        }
                        case "reattach" -> {
                            if (!PeerRequest.isJobId(req.job())) throw new IllegalArgumentException("reattach names no job");
                            if (req.out() == null || req.err() == null || req.out() < 0 || req.err() < 0) {
                                throw new IllegalArgumentException("reattach needs the bytes of output and errors had (out, err >= 0)");
                            }
                            reattach(req, uid, in, out);
                            return;
                        }
                        case "run" -> {
                            // bad settings are named before anything starts
                            req.checkpointMinutes();
                            req.checkpointsKept();
                            boolean program = req.argv() != null && !req.argv().isEmpty();
                            if (req.restart() != null && program) {
                                throw new IllegalArgumentException("a restart from a checkpoint runs no program of its own");
                            }
                            if (req.restart() == null && !program) throw new IllegalArgumentException("no program to run");
                        }
                        default -> throw new IllegalArgumentException("unknown op " + req.op());
                    }
                } catch (IOException | IllegalArgumentException e) {
                    error(out, "bad request: " + e.getMessage());
                    return;
                }
                run(req, uid, gid, in, out);
            }
        } catch (IOException e) {
            LOG.fine("caller connection ended: " + e);
        }
    }

    private void run(JobRequest req, int uid, int gid, DataInputStream in, DataOutputStream out) throws IOException {
        if (req.pinned() && req.node() != null && !req.node().equals(table.self())) {
            error(out, "-L keeps a job home; it cannot also run on " + req.node());
            return;
        }
        if (req.restart() != null) {
            restart(req, uid, in, out);
            return;
        }
        String id = table.newId();
        String mustStay = leavesHome.test(uid, gid) ? null : GuestUsers.refusal(id, uid, gid, table.self());
        if (mustStay != null && req.node() != null && !req.node().equals(table.self())) {
            error(out, mustStay);
            return;
        }
        Placement.Choice where = mustStay != null ? new Placement.Choice(table.self(), "started home: its user's jobs stay there (uid " + uid + ")")
                : choose(req, id);
        String node = where.node();
        boolean requested = req.node() != null;
        boolean stay = req.pinned() || requested && !Boolean.TRUE.equals(req.migratable());
        JobSpec spec = JobSpec.fresh(id, table.self(), uid, gid, req.argv(), Instant.now().toString(), req.pinned(), stay,
                req.pinned() || Boolean.TRUE.equals(req.startHome()) ? "home" : requested ? "requested" : "placed", where.why())
                .checkpointed(req.checkpointMinutes(), req.checkpointsKept());
        if ("placed".equals(spec.placement())) LOG.info("job " + id + " placed on " + node + ": " + where.why());
        PeerChannel ch = null;
        if (!node.equals(table.self())) {
            try {
                if (!table.peers().alivePeers().contains(node)) throw new IOException("no live node named '" + node + "' in the pool");
                ch = table.peers().connect(node);
                PeerRequest.write(ch.out, PeerRequest.start(spec, req.env(), req.cwd()));
            } catch (IOException e) {
                if (ch != null) ch.close();
                if (!"placed".equals(spec.placement())) {
                    error(out, e.getMessage());
                    return;
                }
                LOG.info("job " + spec.id() + " placed on " + node + " starts here instead: " + e.getMessage());
                spec = JobSpec.fresh(spec.id(), spec.home(), uid, gid, spec.argv(), spec.started(), false, false, "placed",
                        node + " could not take it (" + e.getMessage() + "); started home")
                        .checkpointed(spec.checkpointEvery(), spec.keepCheckpoints());
                node = table.self();
                ch = null;
            }
        }
        HomeRecord home = new HomeRecord(spec, out, node, clock);
        home.recoverWith((cause, why) -> recoverInBackground(home, cause, why));
        table.addHome(home);
        try {
            if (ch == null) {
                try {
                    home.takeRelay(table.self(), null, 0);
                    table.start(spec, req.env(), req.cwd(), home);
                } catch (IOException | InterruptedException e) {
                    error(out, e.getMessage());
                    return;
                }
            } else {
                PeerChannel link = ch;
                Thread relay = new Thread(() -> relay(home, link, CopyLedger.Copy.of(link.peer(), home.spec)), "job-relay-" + home.spec.id());
                relay.setDaemon(true);
                relay.start();
            }
            serveCaller(home, in, out);
        } finally {
            table.removeHome(spec.id());
        }
    }

    /**
     * The caller's side of a job that has started: its input and signals flow to the job, it
     * hears STARTED, then output until the last frame (the exit status, or why the job is lost).
     */
    private void serveCaller(HomeRecord home, DataInputStream in, DataOutputStream out) throws IOException {
        JobSpec spec = home.spec;
        // the caller's frames flow from now on, so a caller gone before it hears STARTED still hangs up its job
        Thread callerSide = new Thread(() -> fromCaller(home, in), "job-input-" + spec.id());
        callerSide.setDaemon(true);
        callerSide.start();
        FrameCodec.writeText(out, MessageType.STARTED, spec.id());
        Frame last;
        try {
            int status = home.exit.get();
            last = HomeRecord.lastFrameOf(status, null);
            if (status < 128) table.checkpoints().ended(spec); // it exited; one a signal killed keeps its checkpoints for mosrun -R
        } catch (ExecutionException e) {
            last = HomeRecord.lastFrameOf(null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        home.lastFrame(last);
    }

    /** How long a reattaching caller waits for its job to be taken on again (a runner attaches every 5 s; adoption runs at start). */
    static final long REATTACH_WAIT_MILLIS = 60_000;

    /**
     * `mosrun` whose agent stopped under its job comes back to this one: once this agent has
     * taken the job on again (adopted it, or its runner attached), the caller gets the job's
     * output on from what it had, and its input and signals reach the job again. Only the
     * job's owner (or root) may; a job whose caller never left, or whose grace ran out (its
     * output went to files), is refused.
     */
    private void reattach(JobRequest req, int uid, DataInputStream in, DataOutputStream out) throws IOException {
        String id = req.job();
        String taken = "job " + id + " has a caller already, or its output went to files when no caller came back";
        long end = Monotonic.millis() + REATTACH_WAIT_MILLIS;
        HomeRecord home;
        // an agent being stopped may still answer (its caller's stream cut first): it never lets
        // the caller back, and the caller tries the next agent once this one has gone
        while (((home = table.home(id)) == null || !home.waitsForCaller()) && Monotonic.millis() < end) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (home != null && !home.waitsForCaller()) {
            error(out, taken);
            return;
        }
        if (home == null) {
            error(out, "job " + id + " was not taken on again after its agent restarted (it ended, or its node is gone); look for "
                    + GuestLayout.CALLERLESS_OUTPUT.resolve(Integer.toString(uid)).resolve(id) + ".{out,err,status}");
            return;
        }
        if (uid != 0 && uid != home.spec.uid()) {
            error(out, "job " + id + " is not yours (uid " + home.spec.uid() + ")");
            return;
        }
        FrameCodec.writeText(out, MessageType.STARTED, id);
        if (!home.reattach(out, req.out(), req.err())) {
            error(out, taken);
            return;
        }
        LOG.info("the caller of job " + id + " reattached, having had " + req.out() + " bytes of output and " + req.err() + " of errors");
        fromCaller(home, in); // its last frame is written when the job ends; the caller then closes
    }

    /**
     * mosrun -R: the job comes back from one of its checkpoints, here at its home (where its
     * checkpoints are), for this caller, who sees its output from the checkpoint on; with -r
     * NODE it then moves there, and otherwise the balancer may move it, as a new job. A job
     * that still runs is never restarted: that would run it twice.
     */
    private void restart(JobRequest req, int uid, DataInputStream in, DataOutputStream out) throws IOException {
        Checkpoints.Restorable r;
        try {
            r = table.checkpoints().prepare(req.restart(), uid);
        } catch (IOException e) {
            error(out, e.getMessage());
            return;
        }
        JobSpec was = r.spec();
        if (!was.home().equals(table.self())) {
            error(out, "checkpoint " + r.name() + " is of a job whose home is " + was.home() + ": restart it there (mosrun -R on " + was.home() + ")");
            return;
        }
        HomeRecord waiting = table.home(was.id()); // its caller waits here: it runs where that record says
        String runs = table.running(was.id()) != null ? table.self() : waiting != null ? waiting.where() : runningElsewhere(was.id());
        if (runs != null) {
            error(out, "job " + was.id() + " still runs on " + runs + ": restarting it from " + r.name() + " would run it twice");
            return;
        }
        boolean requested = req.node() != null && !req.node().equals(table.self());
        String mustStay = requested && !leavesHome.test(was.uid(), was.gid()) ? GuestUsers.refusal(was.id(), was.uid(), was.gid(), was.home()) : null;
        if (mustStay != null) {
            error(out, mustStay);
            return;
        }
        JobSpec restarted = was.recovered(table.supersededEpoch(was.id()), req.pinned(), req.pinned() || requested && !Boolean.TRUE.equals(req.migratable()),
                req.pinned() ? "home" : requested ? "requested" : "restarted", "restarted from checkpoint " + r.name());
        // -A or -N given again replace the checkpoint's
        JobSpec spec = restarted.checkpointed(req.checkpointEvery() != null ? req.checkpointMinutes() : restarted.checkpointEvery(),
                req.keepCheckpoints() != null ? req.checkpointsKept() : restarted.keepCheckpoints());
        HomeRecord home = new HomeRecord(spec, out, table.self(), clock);
        home.recoverWith((cause, why) -> recoverInBackground(home, cause, why));
        if (!table.addHomeIfAbsent(home)) {
            error(out, "job " + was.id() + " is being restarted already");
            return;
        }
        try {
            Job job;
            try {
                home.takeRelay(table.self(), null, 0);
                job = r.restore();
                job.spec(spec);
                job.sink(home);
                job.stoppedFor(Job.RESTORED); // its record says so until it runs: a restart before then reaps it
                table.adopt(job);
                job.resume();
            } catch (IOException | InterruptedException e) {
                error(out, e.getMessage());
                return;
            }
            if (requested) moveOn(spec.id(), req.node(), uid, "-r " + req.node());
            serveCaller(home, in, out);
        } finally {
            table.removeHome(spec.id());
        }
    }

    /**
     * Moves a job just restored here from a checkpoint on to {@code node} (a restart's -r, a
     * recovery's best node), in the background: the job runs here meanwhile, and stays here if
     * the move fails. Restoring at home first reads the checkpoint where it is stored.
     */
    private void moveOn(String id, String node, int uid, String why) {
        Thread move = new Thread(() -> {
            try {
                poolJobs.migrate(id, node, uid, MigrationMode.DEFAULT);
                LOG.info("restored job " + id + " moved on to " + node + " (" + why + ")");
            } catch (IOException e) {
                LOG.warning("restored job " + id + " stays on " + table.self() + " rather than " + node + " (" + why + "): " + e.getMessage());
            }
        }, "restore-move-" + id);
        move.setDaemon(true);
        move.start();
    }

    void usersWhoLeaveHome(java.util.function.BiPredicate<Integer, Integer> who) {
        leavesHome = who;
    }

    /** Where a recovered job should run, chosen before it is restored (as for a new job: it is not yet in this node's load); null if placement fails. */
    private Placement.Choice bestFor(String id) {
        try {
            return placement.place(id);
        } catch (RuntimeException e) {
            LOG.warning("job " + id + " is recovered here: no node could be chosen for it (" + e + ")");
            return null;
        }
    }

    /** The node a job runs on elsewhere in the pool, as the live nodes list it; null if none does. */
    private String runningElsewhere(String id) {
        return poolJobs.list().stream().filter(j -> j.id().equals(id) && !"EXITED".equals(j.state())).map(dev.mosvm.api.JobView::where)
                .findFirst().orElse(null);
    }

    /**
     * Where a new job starts: home with -L, the node asked for with -r, else the balancer's
     * best node, provided the job's directory is shared (any, where jobs see their home's whole
     * tree; else under /pool, or /): a job placed elsewhere must find its working directory there.
     */
    private Placement.Choice choose(JobRequest req, String id) {
        String self = table.self();
        if (req.pinned()) return new Placement.Choice(self, "-L: stays on its home node");
        if (req.node() != null) return new Placement.Choice(req.node(), "-r " + req.node());
        if (Boolean.TRUE.equals(req.startHome())) return new Placement.Choice(self, "-h: started home; the balancer may move it");
        String cwd = req.cwd() == null ? "/" : req.cwd();
        if (!table.seesHomeTrees() && !cwd.equals("/") && !Path.of(cwd).startsWith(GuestLayout.POOL_ROOT)) {
            return new Placement.Choice(self, "started home: its directory " + cwd + " is not shared with the pool (only /pool is)");
        }
        if (table.seesHomeTrees() && !Path.of(cwd).startsWith(GuestLayout.POOL_ROOT) && !JobTable.openToOthers(Path.of(cwd))) {
            return new Placement.Choice(self, "started home: its directory " + cwd + " is its owner's alone, which other nodes cannot enter");
        }
        return placement.place(id);
    }

    /**
     * Home's side of a job running elsewhere: its output to the caller until it exits there
     * or moves on (then its next node attaches and relays in turn).
     */
    static void relay(HomeRecord home, PeerChannel ch, CopyLedger.Copy copy) {
        String node = ch.peer();
        try (ch) {
            HomeRecord.Relay mine = takeRelayFrom(home, node, copy, ch.out, ch::close, DRAIN_MILLIS, RELAY_WAIT_MILLIS);
            if (mine == null) {
                LOG.warning("job " + home.spec.id() + ": " + node + " attached while another link still relays after "
                        + RELAY_WAIT_MILLIS / 1000 + " s; refused");
                return;
            }
            try {
                Frame f;
                while ((f = FrameCodec.read(ch.in)) != null) {
                    switch (f.type()) {
                        case STDOUT, STDERR -> {
                            try {
                                home.output(f.type(), f.payload(), f.payload().length);
                            } catch (IOException e) {
                                // the caller is gone; its hang-up reaches the job
                            }
                        }
                        case EXIT -> {
                            home.exited(f.u32());
                            try {
                                FrameCodec.writeEmpty(ch.out, MessageType.EXIT_ACK);
                            } catch (IOException e) {
                                // the runner hears nothing and sends the status again; home has it already
                            }
                            return;
                        }
                        case LOST -> {
                            // the runner's dump of the job killed it: lost as with its node, and brought back the same way
                            String why = f.text();
                            LOG.warning(DumpDeath.forLog(why));
                            try {
                                FrameCodec.writeEmpty(ch.out, MessageType.EXIT_ACK);
                            } catch (IOException e) {
                                // the runner sends it again; the recovery below is started once
                            }
                            home.diedOfDumpOn(node, why);
                            return;
                        }
                        case ERROR -> {
                            home.failed(f.text());
                            return;
                        }
                        case MOVED -> {
                            LOG.info("job " + home.spec.id() + " left " + node);
                            return;
                        }
                        case POSITION -> {
                            OutputPosition at = OutputPosition.of(f);
                            long[] gap = home.continueFrom(at.out(), at.err());
                            if (gap[0] + gap[1] > 0) {
                                LOG.warning("job " + home.spec.id() + ": " + gap[0] + " bytes of output and " + gap[1] + " of errors from " + node
                                        + " never reached this caller (they were on their way when an agent stopped, or went to a caller before it)");
                            }
                        }
                        case HOLD -> home.hold();
                        case RESUME_CONTROL -> home.resumeControl(ch.out);
                        default -> throw new IOException("unexpected frame " + f.type() + " from " + node);
                    }
                }
                LOG.warning("link to " + node + ", where job " + home.spec.id() + " runs, dropped; waiting for it to reattach");
            } finally {
                home.endRelay(mine);
            }
        } catch (IOException | InterruptedException e) {
            if (home.exit.isDone()) {
                LOG.fine("link to " + node + " for job " + home.spec.id() + " ended with the job: " + e.getMessage());
            } else {
                LOG.warning("link to " + node + " for job " + home.spec.id() + " failed: " + e.getMessage() + "; waiting for it to reattach");
            }
        }
    }

    /** How long a link waits for the relay before it looks at whether the link holding it is its own copy's older one. */
    static final long DRAIN_MILLIS = 2_000;
    /** How long a node's link waits for the previous node to finish relaying the job's output. */
    static final long RELAY_WAIT_MILLIS = 600_000;

    /**
     * Takes the relay for copy {@code copy}'s link, once the previous node's output has all
     * been relayed. If the relay is held by an older link of the same copy, that link is cut and
     * the relay handed over ({@link HomeRecord#takeOver}): a copy attaches again only after it
     * gave up its older link, or its agent stopped, and home may still be reading that link
     * (its packets were dropped). Null if no relay came within {@code waitMillis}.
     */
    static HomeRecord.Relay takeRelayFrom(HomeRecord home, String node, CopyLedger.Copy copy, DataOutputStream control,
                                          Closeable link, long drainMillis, long waitMillis) throws InterruptedException {
        long end = System.nanoTime() + waitMillis * 1_000_000;
        long seq = home.attachSequence();
        for (long left = waitMillis; left > 0; left = (end - System.nanoTime()) / 1_000_000) {
            HomeRecord.Relay r = home.takeRelay(node, copy, control, link, Math.min(left, drainMillis), seq);
            if (r != null) return r;
            r = home.takeOver(node, copy, control, link, Math.min(left, drainMillis), seq);
            if (r != null) {
                LOG.warning("job " + home.spec.id() + ": " + node + " attached again while home still read its older link; that link is cut");
                return r;
            }
        }
        return null;
    }

    /** Input, end of input and signals from the caller, wherever the job runs; if the caller goes away, SIGHUP. */
    private void fromCaller(HomeRecord home, DataInputStream in) {
        try {
            Frame f;
            while ((f = FrameCodec.read(in)) != null) toJob(home, f);
        } catch (IOException e) {
            // the caller is gone or misbehaved: treat it as a hang-up below
        }
        if (!home.exit.isDone()) {
            LOG.info("caller of job " + home.spec.id() + " went away: SIGHUP");
            toJob(home, new Frame(MessageType.SIGNAL, new byte[] {0, 0, 0, SIGHUP}));
        }
    }

    /**
     * Passes a caller's frame to its job wherever it runs, waiting for a link to the job's node
     * while there is none; a job found lost meanwhile ends its caller's wait instead.
     */
    private void toJob(HomeRecord home, Frame f) {
        long deadline = Monotonic.millis() + RUNNER_WAIT_MILLIS;
        for (boolean waited = false; ; waited = true) {
            if (home.exit.isDone()) return;
            // a signal looks at the gossip itself (a dead node's link would swallow it), input leaves that to the watch
            if ((waited || f.type() == MessageType.SIGNAL) && runnerLost(home)) return;
            if (home.where().equals(table.self())) {
                Job job = table.running(home.spec.id());
                try {
                    if (job != null && job.control(f)) return; // false: that copy has moved on
                } catch (IOException e) {
                    LOG.fine("job " + home.spec.id() + " no longer takes input: " + e.getMessage());
                    return;
                }
            }
            if (home.toRunner(f.type(), f.payload())) return;
            // no node takes it yet: a job sent to a peer has no link until the peer answers, and
            // a moving job none until its next node attaches; the input waits, it is not dropped
            if (home.moving()) deadline = Monotonic.millis() + RUNNER_WAIT_MILLIS; // a move takes as long as it takes
            if (Monotonic.millis() > deadline) return;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void watchRunners() {
        for (HomeRecord home : table.homes()) {
            try {
                runnerLost(home);
            } catch (RuntimeException e) {
                LOG.warning("cannot check where job " + home.spec.id() + " runs: " + e);
            }
        }
    }

    /**
     * Whether the job's node is gone with it (then its caller has been told); a gone node's
     * link is cut, so its relay ends and a node the job moved to can attach.
     */
    private boolean runnerLost(HomeRecord home) {
        HomeRecord.Runner known = home.runner();
        if (home.exit.isDone() || known.node().equals(table.self())) return false; // its caller's wait is over, or the job is here
        if (home.ask.due(known.node(), home.linked())) askRunner(home, known.node());
        HomeRecord.Runner runner = follow(home, known);
        RunnerWatch.Verdict v = home.watch.check(runner.node(), table.peers().state(runner.node()), runner.moving(), home.ask.disowned());
        if (v.kind() == RunnerWatch.Kind.RUNNING) return false;
        home.cutRunnerLink(runner.node());
        if (v.kind() == RunnerWatch.Kind.AWAITING_NEXT_NODE) return false;
        recoverInBackground(home, "its node " + runner.node() + " was lost", v.reason());
        return false;
    }

    /** Starts the job's recovery ({@link #recover}) on a thread of its own, unless one is under way. */
    private void recoverInBackground(HomeRecord home, String cause, String lostReason) {
        if (!recovering.add(home.spec.id())) return;
        Thread t = new Thread(() -> {
            try {
                recover(home, cause, lostReason);
            } finally {
                recovering.remove(home.spec.id());
            }
        }, "job-recovery-" + home.spec.id());
        t.setDaemon(true);
        t.start();
    }

    /** Where the job runs as its node, asked, last told it: the job may have left that node while its link to home was down. */
    private static HomeRecord.Runner follow(HomeRecord home, HomeRecord.Runner known) {
        RunnerAsk.Told told = home.ask.told();
        if (told == null) return known;
        HomeRecord.Runner now = home.follow(known.node(), told);
        if (!now.node().equals(known.node())) LOG.info("job " + home.spec.id() + ": " + known.node() + " says it left for " + now.node() + "; watching it there");
        return now;
    }

    /**
     * Asks the job's node, off the watch's thread, whether it still has the job (an agent that
     * restarted there does not) or where it went; the answer counts at a later look.
     */
    private void askRunner(HomeRecord home, String node) {
        try {
            asks.execute(() -> home.ask.answered(node, heard(table.peers().has(node, home.spec.id(), RunnerAsk.DEADLINE.toMillis())), home.epoch()));
        } catch (RejectedExecutionException e) {
            home.ask.answered(node, null, home.epoch()); // every asker busy: ask again later
        }
    }

    /** A node's answer to has in the watch's terms; null for none. */
    static RunnerAsk.Answer heard(Whereabouts w) {
        if (w == null) return null;
        return switch (w.kind()) {
            case RUNS -> RunnerAsk.Answer.RUNS;
            case ABSENT -> RunnerAsk.Answer.ABSENT;
            case MOVING -> RunnerAsk.Answer.moving(w.node(), w.epoch());
            case LEFT -> RunnerAsk.Answer.left(w.node(), w.epoch());
        };
    }

    /** Where home asks its jobs' nodes whether they still have them, a few at a time. */
    private final ExecutorService asks = Workers.upTo(4, "job-runner-ask");

    /** Jobs whose node is gone being brought back here from a checkpoint, or found to have none. */
    private final java.util.Set<String> recovering = ConcurrentHashMap.newKeySet();

    /**
     * A job whose node is gone comes back from its latest checkpoint, for the same caller: the
     * output the caller already had is not passed on again, and a copy the lost node may still
     * run is stale from now on (a higher epoch). It is restored here, at its home, where its
     * checkpoints are, then moves on to the best live node as a new job would be placed, unless
     * it is pinned (-L) or was sent to the lost node (-r: it stays here, and the balancer leaves
     * it). A job with no usable checkpoint is lost: its caller hears why.
     */
    private void recover(HomeRecord home, String cause, String lostReason) {
        String id = home.spec.id();
        Checkpoints.Restorable r;
        try {
            r = table.checkpoints().prepare(id, 0);
        } catch (Checkpoints.NoCheckpoint e) {
            endLost(home, lostReason);
            return;
        } catch (IOException e) {
            endLost(home, lostReason.replace("it had no checkpoint", "its checkpoint could not be used (" + e.getMessage() + ")"));
            return;
        }
        try {
            if (!home.takeRelay(table.self(), null, RUNNER_WAIT_MILLIS)) throw new IOException("the lost node's relay did not end");
            Placement.Choice best = home.spec.pinned() || home.spec.stay() || !leavesHome.test(home.spec.uid(), home.spec.gid()) ? null : bestFor(id);
            Job job = r.restore();
            // the new epoch is claimed in one step with the ledger: a move settled meanwhile cannot claim it too
            int epoch = home.copies.nextEpoch(r.spec().epoch());
            JobSpec now = r.spec().recovered(epoch - 1, home.spec.pinned(), home.spec.stay(), home.spec.placement(),
                    "recovered from checkpoint " + r.name() + " after " + cause);
            long[] gap = home.continueFrom(job.stdoutBytes(), job.stderrBytes());
            job.spec(now);
            job.sink(home);
            job.stoppedFor(Job.RESTORED);
            table.adopt(job);
            job.resume();
            home.watch.runsAgain();
            boolean onward = best != null && !best.node().equals(table.self());
            LOG.warning("job " + id + " recovered here from checkpoint " + r.name() + " after " + cause
                    + (gap[0] + gap[1] > 0 ? "; " + gap[0] + " bytes of output and " + gap[1] + " of errors it wrote before the checkpoint never arrived" : "")
                    + (onward ? "; moving on to " + best.node() + " (" + best.why() + ")" : ""));
            if (onward) moveOn(id, best.node(), 0, best.why());
        } catch (IOException | InterruptedException | RuntimeException e) {
            endLost(home, lostReason.replace("it had no checkpoint", "recovering it from checkpoint " + r.name() + " failed: " + e.getMessage()));
        }
    }

    private void endLost(HomeRecord home, String why) {
        table.supersede(home.spec.id(), home.epoch());
        if (home.lost(why)) LOG.warning(why);
    }

    /** What a one-answer request asks for, or a one-line reason it cannot be had. */
    private interface Answer {
        Object get() throws IOException;
    }

    /** One REPLY frame with the answer as JSON, or one ERROR frame with the reason. */
    private static void answer(DataOutputStream out, Answer a) throws IOException {
        Object reply;
        try {
            reply = a.get();
        } catch (IOException | RuntimeException e) {
            error(out, e.getMessage());
            return;
        }
        FrameCodec.write(out, Frame.json(MessageType.REPLY, reply));
    }

    private static void error(DataOutputStream out, String message) throws IOException {
        FrameCodec.writeText(out, MessageType.ERROR, String.valueOf(message));
    }

    /** How long a caller's input or signal waits for the link to the node its job was sent to. */
    private static final long RUNNER_WAIT_MILLIS = 120_000;
    /** Between looks at the nodes this home's jobs run on: a lost job's caller hears within this of the node's DEAD. */
    private static final Duration WATCH_EVERY = Duration.ofSeconds(1);

    /** Names resolved so far ("passwd:alice" to 1000): getent is a process start per lookup, slow under emulation. */
    private static final Map<String, Integer> IDS = new ConcurrentHashMap<>();

    /** The numeric uid/gid behind a name the JDK reports (it resolves them through NSS). */
    private static int numericId(String name, String database) throws IOException {
        if (name.matches("\\d+")) return Integer.parseInt(name);
        try {
            // one lookup per name however many of its callers arrive together (a burst would start a getent each)
            return IDS.computeIfAbsent(database + ":" + name, k -> {
                try {
                    return lookUp(name, database);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static int lookUp(String name, String database) throws IOException {
        try {
            Process p = new ProcessBuilder("getent", database, name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return Integer.parseInt(out.split(":")[2]);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException | InterruptedException e) {
            throw new IOException("cannot resolve " + name, e);
        }
    }

    /**
     * The request line, at most {@link WireLimits#MAX_FRAME_PAYLOAD} bytes, in a buffer that
     * grows as bytes arrive; what it grows by is taken from {@code budget} first and given back
     * at the end, so many large lines at once are refused instead of filling the heap.
     */
    static String readLine(DataInputStream in, ByteBudget budget) throws IOException {
        byte[] buf = new byte[0];
        int n = 0;
        try {
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new IOException("no request");
                if (n == buf.length) {
                    if (n > WireLimits.MAX_FRAME_PAYLOAD) throw new IOException("request too long");
                    int grown = Math.min(Math.max(1024, 2 * n), WireLimits.MAX_FRAME_PAYLOAD + 1);
                    if (!budget.take(grown - n)) throw new IOException("this node is reading too many large requests at once; try again");
                    buf = Arrays.copyOf(buf, grown);
                }
                buf[n++] = (byte) c;
            }
            return new String(buf, 0, n, StandardCharsets.UTF_8);
        } finally {
            budget.give(buf.length);
        }
    }

    @Override
    public void close() throws IOException {
        runnerWatch.close();
        asks.shutdown();
        acceptLoop.close();
        server.close();
        waiting.closeAll();
        workers.shutdown();
        Files.deleteIfExists(socket);
    }
}
