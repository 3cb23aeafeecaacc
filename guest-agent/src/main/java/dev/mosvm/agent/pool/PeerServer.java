package dev.mosvm.agent.pool;

import dev.mosvm.agent.guard.ConnectionGate;
import dev.mosvm.agent.guard.LogThrottle;
import dev.mosvm.agent.guard.ServingLimits;
import dev.mosvm.agent.guard.Supervised;
import dev.mosvm.agent.guard.Workers;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.migrate.Migrations;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MalformedFrameException;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * The agent's service for its peers (TCP {@link dev.mosvm.agent.jobs.PeerDirectory#PORT}):
 * every connection proves the pool key first, then makes one {@link PeerRequest}.
 *
 * <p>Under abuse: a connection is served only if {@link #openings} has room for it (few per
 * address, few overall), and must prove the key within {@link ServingLimits#OPENING_MILLIS};
 * a proven peer's request then needs room in {@link #requests}. Anything over a bound is
 * closed at once, unread. Each admitted connection has a thread of {@link #workers}, so threads are bounded too.
 */
public final class PeerServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerServer.class.getName());
    private final ServerSocket server;
    private final LivePeers peers;
    private final JobTable table;
    private final Migrations migrations;
    private final CompactRequests compactions;
    private final SealRequests seals;
    private final ConnectionGate openings = new ConnectionGate("a peer connection", ServingLimits.PEER_OPENINGS,
            ServingLimits.PEER_OPENINGS_PER_ADDRESS);
    private final ConnectionGate requests = new ConnectionGate("a peer's request", ServingLimits.PEER_REQUESTS,
            ServingLimits.PEER_REQUESTS);
    private final LogThrottle failedHandshakes = LogThrottle.refusals();
    /** A thread for each connection the gates admit, opening or proven. */
    private final ExecutorService workers = Workers.upTo(ServingLimits.PEER_OPENINGS + ServingLimits.PEER_REQUESTS, "peer-serve");
    private final Supervised acceptLoop;

    public PeerServer(int port, LivePeers peers, JobTable table, Migrations migrations, CompactRequests compactions, SealRequests seals)
            throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(port));
        this.peers = peers;
        this.table = table;
        this.migrations = migrations;
        this.compactions = compactions;
        this.seals = seals;
        this.acceptLoop = Supervised.loop("peer-accept", this::acceptOne);
    }

    /** Accepts one connection and starts serving it, or closes it at once if it is over a bound; false once closed. */
    private boolean acceptOne() throws IOException {
        Socket s;
        try {
            s = server.accept();
        } catch (IOException e) {
            if (server.isClosed()) return false;
            throw e; // out of file descriptors, say: the supervisor pauses before the next accept
        }
        String from = s.getInetAddress().getHostAddress();
        ConnectionGate.Permit opening = openings.admit(from);
        if (opening == null) {
            closeQuietly(s);
            return true;
        }
        try {
            workers.execute(() -> serve(s, opening));
        } catch (RejectedExecutionException e) { // every thread busy for the moment: as over a bound
            opening.close();
            closeQuietly(s);
        } catch (Throwable e) { // no thread to be had: the connection goes, the loop stays
            opening.close();
            closeQuietly(s);
            throw e;
        }
        return true;
    }

    private void serve(Socket s, ConnectionGate.Permit opening) {
        PeerChannel ch;
        PeerRequest req;
        try (opening) {
            try {
                s.setTcpNoDelay(true);
                ch = peers.accept(s);
            } catch (IOException e) {
                long unlogged = failedHandshakes.event(); // a flood of garbage fails here: one line per interval
                if (unlogged >= 0) {
                    LOG.warning("refused a peer connection from " + s.getInetAddress().getHostAddress() + ": " + e.getMessage()
                            + LogThrottle.since(unlogged));
                }
                closeQuietly(s);
                return;
            }
            try {
                s.setSoTimeout((int) ServingLimits.OPENING_MILLIS); // a proven peer sends its request right behind its proof
                try {
                    req = PeerRequest.read(ch.in);
                } catch (MalformedFrameException e) {
                    FrameCodec.writeText(ch.out, MessageType.ERROR, "bad request: " + e.getMessage());
                    throw e;
                }
                s.setSoTimeout(0);
            } catch (IOException | RuntimeException e) {
                LOG.warning("peer request from " + ch.peer() + " failed: " + e);
                closeQuietly(s);
                return;
            }
        }
        ConnectionGate.Permit serving = requests.admit(ch.peer());
        if (serving == null) {
            try {
                FrameCodec.writeText(ch.out, MessageType.ERROR, "busy: " + ServingLimits.PEER_REQUESTS + " peer requests are being served");
            } catch (IOException e) {
                // gone already
            }
            closeQuietly(s);
            return;
        }
        try (serving) {
            serve(s, ch, req);
        }
    }

    private void serve(Socket s, PeerChannel ch, PeerRequest req) {
        boolean keepOpen = false;
        try {
            switch (req.op()) {
                case LIST -> FrameCodec.write(ch.out, Frame.json(MessageType.LIST, table.views()));
                case MOVES -> migrations.serveMoves(ch);
                case HAS -> FrameCodec.write(ch.out, migrations.whereabouts(req.job()).frame());
                case START -> {
                    try {
                        // only a job's home starts it elsewhere: another member cannot start a job of any uid in that home's tree
                        if (!ch.peer().equals(req.spec().home())) throw new IOException("only " + req.spec().home() + " starts its jobs, not " + ch.peer());
                        table.startForHome(req, ch);
                        keepOpen = true; // the job's link to its home now
                    } catch (IOException e) {
                        FrameCodec.writeText(ch.out, MessageType.ERROR, String.valueOf(e.getMessage()));
                    }
                }
                case ATTACH -> table.attachFromRunner(req, ch);
                case MIGRATE -> migrations.serveRequest(ch, req);
                case MIGRATE_IN -> migrations.serveIncoming(ch, req);
                case CHECKPOINT -> table.serveCheckpoint(req, ch);
                case SETTLE -> table.serveSettle(req, ch);
                case COMPACT -> compactions.serve(req, ch);
                case SEAL -> seals.serve(req, ch);
                case TIME -> FrameCodec.write(ch.out, new PeerRequest.TimeReply(System.currentTimeMillis()).frame());
                case GRANT, WITHDRAW, REVOKE -> {
                    String answer;
                    try {
                        answer = peers.membership().servePeer(ch.peer(), req);
                    } catch (Exception e) {
                        LOG.warning("refused " + req.op().wire() + " from " + ch.peer() + ": " + e.getMessage());
                        FrameCodec.writeText(ch.out, MessageType.ERROR, String.valueOf(e.getMessage()));
                        break;
                    }
                    FrameCodec.writeText(ch.out, MessageType.REPLY, answer);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("peer request from " + ch.peer() + " failed: " + e);
        } finally {
            if (!keepOpen) closeQuietly(s);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // gone already
        }
    }

    @Override
    public void close() throws IOException {
        acceptLoop.close();
        server.close();
        workers.shutdown();
    }
}
