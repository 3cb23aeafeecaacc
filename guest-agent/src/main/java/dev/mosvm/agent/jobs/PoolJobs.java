package dev.mosvm.agent.jobs;

import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.CheckpointRecord;
import dev.mosvm.api.JobView;
import dev.mosvm.api.Json;
import dev.mosvm.api.MigrationMode;
import dev.mosvm.api.MigrationRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Logger;

/**
 * What `mosps`, `migrate` and `migrate JOB checkpoint` ask of this node, whoever asks: a
 * caller on the job socket inside the appliance, or the host through the agent's HTTPS API
 * (`mosvm ps`, `mosvm migrate`, `mosvm checkpoint`).
 */
public final class PoolJobs {
    private static final Logger LOG = Logger.getLogger(PoolJobs.class.getName());
    /** How long a list waits for each peer's jobs; a peer slower than that is left out. */
    static final long PEER_WAIT_MILLIS = 5000;

    private final JobTable table;
    private final JobServer.Migrations migrations;

    public PoolJobs(JobTable table, JobServer.Migrations migrations) {
        this.table = table;
        this.migrations = migrations;
    }

    /** Every job in the pool, oldest first: this node's and, from each live peer, theirs. */
    public List<JobView> list() {
        List<JobView> all = new ArrayList<>(table.views());
        List<Thread> asks = new ArrayList<>();
        for (String peer : table.peers().alivePeers()) {
            Thread t = new Thread(() -> {
                try (PeerChannel ch = table.peers().connect(peer)) {
                    PeerRequest.write(ch.out, PeerRequest.list());
                    Frame f = FrameCodec.read(ch.in);
                    if (f != null && f.type() == MessageType.LIST) {
                        List<JobView> theirs = f.json(PeerRequest.JOB_LIST);
                        synchronized (all) {
                            all.addAll(theirs);
                        }
                    }
                } catch (IOException e) {
                    LOG.fine("no job list from " + peer + ": " + e.getMessage());
                }
            }, "list-" + peer);
            t.setDaemon(true);
            t.start();
            asks.add(t);
        }
        for (Thread t : asks) {
            try {
                t.join(PEER_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (all) {
            return all.stream().sorted(Comparator.comparing(JobView::started)).toList();
        }
    }

    /**
     * Moves {@code job} to {@code node} ("home" for its home node) while it runs, for the user
     * {@code uid} (0 may move any job); throws with a one-line reason when it cannot.
     */
    public MigrationRecord migrate(String job, String node, int uid, MigrationMode mode) throws IOException {
        return migrations.migrate(job, node, uid, mode == null ? MigrationMode.DEFAULT : mode);
    }

    /**
     * Takes a checkpoint of {@code job} now, for the user {@code uid} (0 may ask for any job):
     * the node it runs on takes it, so a job running elsewhere is asked of that node; throws
     * with a one-line reason when none can be taken.
     */
    public CheckpointRecord checkpoint(String job, int uid) throws IOException {
        if (job == null) throw new IOException("usage: migrate JOB checkpoint");
        if (table.running(job) != null) return table.checkpoints().checkpoint(job, uid);
        String where = Runners.find(table, job);
        return Runners.ask(table.peers(), where, PeerRequest.checkpoint(job, uid), CheckpointRecord.class, "the checkpoint");
    }
}
