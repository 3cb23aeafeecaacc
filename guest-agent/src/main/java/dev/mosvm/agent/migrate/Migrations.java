package dev.mosvm.agent.migrate;

import dev.mosvm.agent.balance.Move;
import dev.mosvm.agent.balance.MoveMode;
import dev.mosvm.agent.jobs.CopyArbiter;
import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobServer;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.Runners;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.sandbox.GuestUsers;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.MigrationRecord;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.agent.wire.Whereabouts;
import dev.mosvm.api.MigrationMode;
import dev.mosvm.api.MoveEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Migration requests, wherever they are made: a job is moved by the node it runs on, so a
 * request for a job running elsewhere is passed to that node. Checks who may move what, and
 * refuses with a one-line reason (unknown job or node, pinned job, job already there).
 */
public final class Migrations implements JobServer.Migrations {
    private static final Logger LOG = Logger.getLogger(Migrations.class.getName());
    private final JobTable table;
    private final Path work;
    private final Path imageVersionFile;
    private final MoveLog log = new MoveLog();
    private final CpuFeatures cpuFeatures;
    private volatile Admission admission = Admission.ANY;
    /** Home's word on a move whose commit went unanswered (its ledger when home is this node, else asked over the pool). */
    private final CopyArbiter arbiter;
    /** Where jobs that left this node went, for their homes' has. */
    private final Departures departures = new Departures(java.time.Clock.systemUTC());

    /** @param work where images are staged (a tmpfs, so pages never touch a disk) */
    public Migrations(JobTable table, Path work, Path imageVersionFile) {
        this.table = table;
        this.work = work;
        this.imageVersionFile = imageVersionFile;
        this.cpuFeatures = new CpuFeatures(work);
        this.arbiter = table.arbiter();
    }

    /** The target-side check on incoming jobs (the balancer's, once it runs). */
    public void admission(Admission a) {
        admission = a;
    }

    public MoveLog log() {
        return log;
    }

    /**
     * The balancer moves one of this node's jobs; throws with the reason if it stays. How it
     * moves (pre-copy or stop-and-copy, eager or lazy restore) is {@link MoveMode}'s choice,
     * from the job's size now and why it moves.
     */
    public MigrationRecord migrate(Job job, String target, MoveIntent intent) throws IOException {
        MigrationMode mode = MoveMode.of(Move.Reason.ofOffer(intent.reason()), job.rssKb());
        return migrateHere(job, target, 0, mode, intent);
    }

    @Override
    public MigrationRecord migrate(String id, String node, int uid, MigrationMode mode) throws IOException {
        if (id == null || node == null) throw new IOException("usage: migrate JOB NODE|home");
        Job job = table.running(id);
        if (job != null) return migrateHere(job, node, uid, mode, MoveIntent.USER);
        String where = Runners.find(table, id);
        return Runners.ask(table.peers(), where, PeerRequest.migrate(id, node, uid, mode), MigrationRecord.class, "the migration");
    }

    /** A peer asks this node to move a job running here. */
    public void serveRequest(PeerChannel ch, PeerRequest req) throws IOException {
        try {
            Job job = table.running(req.job());
            if (job == null) throw new IOException("job " + req.job() + " no longer runs on " + table.self());
            MigrationRecord m = migrateHere(job, req.node(), req.uid() == null ? -1 : req.uid(),
                    req.mode() == null ? MigrationMode.DEFAULT : req.mode(), MoveIntent.USER);
            FrameCodec.write(ch.out, Frame.json(MessageType.REPLY, m));
        } catch (IOException e) {
            FrameCodec.writeText(ch.out, MessageType.ERROR, String.valueOf(e.getMessage()));
        }
    }

    /** A source offers this node a job. */
    public void serveIncoming(PeerChannel ch, PeerRequest req) throws IOException {
        departures.arriving(req.spec().id());
        new TargetMigration(table, work, admission, cpuFeatures).receive(ch, req, imageVersion());
    }

    private MigrationRecord migrateHere(Job job, String node, int uid, MigrationMode mode, MoveIntent intent) throws IOException {
        String target = "home".equals(node) ? job.spec().home() : node;
        if (uid != 0 && uid != job.uid()) throw new IOException("job " + job.id() + " belongs to another user");
        if (job.spec().pinned()) throw new IOException("job " + job.id() + " was started with -L: it stays on its home node");
        if (target.equals(table.self())) throw new IOException("job " + job.id() + " already runs on " + target);
        String mustStay = target.equals(job.spec().home()) ? null : GuestUsers.refusal(job.id(), job.uid(), job.spec().gid(), job.spec().home());
        if (mustStay != null) throw new IOException(mustStay);
        if (!table.peers().alivePeers().contains(target)) throw new IOException("no live node named '" + target + "' in the pool");
        if (!job.beginMigration()) throw new IOException("job " + job.id() + " is already being migrated, or has just finished");
        LOG.info("migrating job " + job.id() + " to " + target + " (" + intent.reason() + ": " + intent.why() + ")");
        try {
            MigrationRecord m = new SourceMigration(table.self(), table.peers(), work, cpuFeatures, mode.stopAndCopy() ? PrecopyPolicy.STOP_AND_COPY : PrecopyPolicy.DEFAULT,
                    mode.eagerRestore(), intent, table::workDone, arbiter, departures).run(job, target, imageVersion());
            log.add(new MoveEvent(job.id(), table.self(), target, m.at(), intent.reason(), intent.why(), m.freezeMillis(), m.totalMillis(), null));
            return m;
        } catch (IOException e) {
            log.add(new MoveEvent(job.id(), table.self(), target, java.time.Instant.now().toString(), intent.reason(), intent.why(), 0, 0,
                    e.getMessage()));
            throw e;
        }
    }

    /** This node's answer to a peer asking whether it has {@code job}: it runs here, is moving from here, left, or is absent. */
    public Whereabouts whereabouts(String job) {
        Job j = table.running(job);
        return departures.of(job, j == null ? null : j.state());
    }

    /** A peer asks for the moves this node sent jobs on. */
    public void serveMoves(PeerChannel ch) throws IOException {
        FrameCodec.write(ch.out, Frame.json(MessageType.LIST, log.recent()));
    }

    String imageVersion() {
        try {
            return Files.readString(imageVersionFile).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
