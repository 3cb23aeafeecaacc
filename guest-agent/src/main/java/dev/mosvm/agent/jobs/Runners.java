package dev.mosvm.agent.jobs;

import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import dev.mosvm.api.JobView;
import java.io.IOException;
import java.util.List;
import java.util.logging.Logger;

/**
 * A job's node, for the requests only that node can serve (a move, a checkpoint): where the
 * job runs, found from any node of the pool, and one request asked of it there.
 */
public final class Runners {
    private static final Logger LOG = Logger.getLogger(Runners.class.getName());

    private Runners() {}

    /**
     * The peer job {@code id} runs on: the one its home here knows (unless that is this node,
     * which the caller has looked at already), else the first live peer that lists it; throws
     * if none does.
     */
    public static String find(JobTable table, String id) throws IOException {
        String where = table.whereIs(id);
        if (where != null && !where.equals(table.self())) return where;
        where = listing(table, id);
        if (where == null) throw new IOException("no job " + id + " is running in the pool (it has finished, or never existed)");
        return where;
    }

    private static String listing(JobTable table, String id) {
        for (String peer : table.peers().alivePeers()) {
            try (PeerChannel ch = table.peers().connect(peer)) {
                PeerRequest.write(ch.out, PeerRequest.list());
                Frame f = FrameCodec.read(ch.in);
                if (f == null || f.type() != MessageType.LIST) continue;
                List<JobView> jobs = f.json(PeerRequest.JOB_LIST);
                if (jobs.stream().anyMatch(j -> j.id().equals(id))) return peer;
            } catch (IOException e) {
                LOG.fine("cannot ask " + peer + " for job " + id + ": " + e.getMessage());
            }
        }
        return null;
    }

    /**
     * Asks {@code node} one request and reads its one answer: a REPLY as {@code type}, or the
     * line of an ERROR thrown as an IOException.
     *
     * @param during what the node is doing meanwhile ("the migration"), for the error if it hangs up
     */
    public static <T> T ask(PeerDirectory peers, String node, PeerRequest req, Class<T> type, String during) throws IOException {
        try (PeerChannel ch = peers.connect(node)) {
            PeerRequest.write(ch.out, req);
            Frame f = FrameCodec.read(ch.in);
            if (f == null) throw new IOException(node + " closed the connection during " + during);
            if (f.type() == MessageType.ERROR) throw new IOException(f.text());
            return f.json(type);
        }
    }
}
