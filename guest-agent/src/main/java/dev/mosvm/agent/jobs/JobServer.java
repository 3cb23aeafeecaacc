package dev.mosvm.agent.jobs;

import dev.mosvm.agent.layout.GuestLayout;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.recovery.RunnerWatch;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.WireLimits;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrationMode;
import dev.mosvm.api.MigrationRecord;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Serves `mosrun`, `mosps` and `migrate` callers on this node over a Unix socket that any
 * user may open: the kernel tells who is calling (SO_PEERCRED), and the job runs as that
 * user. This node is the home of the jobs started here, wherever they run: output flows back
 * as it is produced, the caller's input, end of input and signals flow to the job, and the
 * last frame is the exit status. A caller that goes away (its terminal closed, or it was
 * killed) takes its job with it: the job gets SIGHUP, as a terminal's processes do. A job
 * whose node is gone (DEAD, LEFT or removed in the gossip) is lost, as it has no checkpoint:
 * its caller's last frame is then LOST, with a line naming that node.
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
    private final ScheduledExecutorService runnerWatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jobs-runner-watch");
        t.setDaemon(true);
        return t;
    });

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
        Thread t = new Thread(this::acceptLoop, "jobs-accept");
        t.setDaemon(true);
        t.start();
        runnerWatch.scheduleWithFixedDelay(this::watchRunners, watchEvery.toMillis(), watchEvery.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("jobs on " + socket);
    }

    public JobTable table() {
        return table;
    }

    /** The list and the moves this server's callers ask for, for the agent's API to offer too. */
    public PoolJobs poolJobs() {
        return poolJobs;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread t = new Thread(() -> serve(c), "job-caller");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (server.isOpen()) LOG.warning("accept failed: " + e);
            }
        }
    }

    private void serve(SocketChannel channel) {
        try (channel) {
            UnixDomainPrincipal who = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            int uid = numericId(who.user().getName(), "passwd");
            int gid = numericId(who.group().getName(), "group");
            DataInputStream in = new DataInputStream(new BufferedInputStream(ChannelStreams.in(channel)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(channel)));
            JobRequest req;
            try {
                req = Json.MAPPER.readValue(readLine(in), JobRequest.class);
                switch (req.op() == null ? "run" : req.op()) {
                    case "list" -> {
                        FrameCodec.write(out, Frame.json(MessageType.LIST, poolJobs.list()));
                        return;
                    }
                    case "migrate" -> {
                        try {
                            MigrationRecord m = poolJobs.migrate(req.job(), req.node(), uid, req.mode());
                            FrameCodec.write(out, Frame.json(MessageType.REPLY, m));
                        } catch (IOException | RuntimeException e) {
                            error(out, e.getMessage());
                        }
                        return;
                    }
                    case "run" -> {
                        if (req.argv() == null || req.argv().isEmpty()) throw new IllegalArgumentException("no program to run");
                    }
                    default -> throw new IllegalArgumentException("unknown op " + req.op());
                }
            } catch (IOException | IllegalArgumentException e) {
                error(out, "bad request: " + e.getMessage());
                return;
            }
            run(req, uid, gid, in, out);
        } catch (IOException e) {
            LOG.fine("caller connection ended: " + e);
        }
    }

    private void run(JobRequest req, int uid, int gid, DataInputStream in, DataOutputStream out) throws IOException {
        if (req.pinned() && req.node() != null && !req.node().equals(table.self())) {
            error(out, "-L keeps a job home; it cannot also run on " + req.node());
            return;
        }
        String id = table.newId();
        Placement.Choice where = choose(req, id);
        String node = where.node();
        boolean requested = req.node() != null;
        boolean stay = req.pinned() || requested && !Boolean.TRUE.equals(req.migratable());
        JobSpec spec = JobSpec.fresh(id, table.self(), uid, gid, req.argv(), Instant.now().toString(), req.pinned(), stay,
                req.pinned() || Boolean.TRUE.equals(req.startHome()) ? "home" : requested ? "requested" : "placed", where.why());
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
                        node + " could not take it (" + e.getMessage() + "); started home");
                node = table.self();
                ch = null;
            }
        }
        HomeRecord home = new HomeRecord(spec, out, node, clock);
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
                Thread relay = new Thread(() -> relay(home, link), "job-relay-" + home.spec.id());
                relay.setDaemon(true);
                relay.start();
            }
            // the caller's frames flow from now on, so a caller gone before it hears STARTED still hangs up its job
            Thread callerSide = new Thread(() -> fromCaller(home, in), "job-input-" + spec.id());
            callerSide.setDaemon(true);
            callerSide.start();
            FrameCodec.writeText(out, MessageType.STARTED, spec.id());
            Frame last;
            try {
                last = Frame.u32(MessageType.EXIT, home.exit.get());
            } catch (ExecutionException e) {
                String why = String.valueOf(e.getCause().getMessage());
                last = Frame.text(e.getCause() instanceof HomeRecord.Lost ? MessageType.LOST : MessageType.ERROR, why);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            home.lastFrame(last);
        } finally {
            table.removeHome(spec.id());
        }
    }

    /**
     * Where a new job starts: home with -L, the node asked for with -r, else the balancer's
     * best node, provided the job's directory is shared (under /pool, or /): a job placed
     * elsewhere must find its working directory there.
     */
    private Placement.Choice choose(JobRequest req, String id) {
        String self = table.self();
        if (req.pinned()) return new Placement.Choice(self, "-L: stays on its home node");
        if (req.node() != null) return new Placement.Choice(req.node(), "-r " + req.node());
        if (Boolean.TRUE.equals(req.startHome())) return new Placement.Choice(self, "-h: started home; the balancer may move it");
        String cwd = req.cwd() == null ? "/" : req.cwd();
        if (!cwd.equals("/") && !Path.of(cwd).startsWith(GuestLayout.POOL_ROOT)) {
            return new Placement.Choice(self, "started home: its directory " + cwd + " is not shared with the pool (only /pool is)");
        }
        return placement.place(id);
    }

    /**
     * Home's side of a job running elsewhere: its output to the caller until it exits there
     * or moves on (then its next node attaches and relays in turn).
     */
    static void relay(HomeRecord home, PeerChannel ch) {
        String node = ch.peer();
        try (ch) {
            if (!home.takeRelay(node, ch.out, ch::close, 600_000)) {
                LOG.warning("job " + home.spec.id() + ": " + node + " attached while another node still relays; refused");
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
                        case ERROR -> {
                            home.failed(f.text());
                            return;
                        }
                        case MOVED -> {
                            LOG.info("job " + home.spec.id() + " left " + node);
                            return;
                        }
                        case HOLD -> home.hold();
                        case RESUME_CONTROL -> home.resumeControl(ch.out);
                        default -> throw new IOException("unexpected frame " + f.type() + " from " + node);
                    }
                }
                LOG.warning("link to " + node + ", where job " + home.spec.id() + " runs, dropped; waiting for it to reattach");
            } finally {
                home.releaseRelay();
            }
        } catch (IOException | InterruptedException e) {
            if (home.exit.isDone()) {
                LOG.fine("link to " + node + " for job " + home.spec.id() + " ended with the job: " + e.getMessage());
            } else {
                LOG.warning("link to " + node + " for job " + home.spec.id() + " failed: " + e.getMessage() + "; waiting for it to reattach");
            }
        }
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
        long deadline = System.currentTimeMillis() + RUNNER_WAIT_MILLIS;
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
            if (home.moving()) deadline = System.currentTimeMillis() + RUNNER_WAIT_MILLIS; // a move takes as long as it takes
            if (System.currentTimeMillis() > deadline) return;
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
        HomeRecord.Runner runner = home.runner();
        if (home.exit.isDone() || runner.node().equals(table.self())) return false; // its caller's wait is over, or the job is here
        RunnerWatch.Verdict v = home.watch.check(runner.node(), table.peers().state(runner.node()), runner.moving());
        if (v.kind() == RunnerWatch.Kind.RUNNING) return false;
        home.cutRunnerLink(runner.node());
        if (v.kind() == RunnerWatch.Kind.AWAITING_NEXT_NODE) return false;
        if (home.lost(v.reason())) LOG.warning(v.reason());
        return true;
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
        String key = database + ":" + name;
        Integer known = IDS.get(key);
        if (known == null) IDS.put(key, known = lookUp(name, database));
        return known;
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

    private static String readLine(DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("no request");
            if (b.length() > WireLimits.MAX_FRAME_PAYLOAD) throw new IOException("request too long");
            b.append((char) c);
        }
        return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        runnerWatch.shutdownNow();
        server.close();
        Files.deleteIfExists(socket);
    }
}
