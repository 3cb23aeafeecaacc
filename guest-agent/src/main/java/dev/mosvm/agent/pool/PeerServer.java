package dev.mosvm.agent.pool;

import dev.mosvm.agent.jobs.Job;
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
import java.util.logging.Logger;

/**
 * The agent's service for its peers (TCP {@link dev.mosvm.agent.jobs.PeerDirectory#PORT}):
 * every connection proves the pool key first, then makes one {@link PeerRequest}.
 */
public final class PeerServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerServer.class.getName());
    private final ServerSocket server;
    private final LivePeers peers;
    private final JobTable table;
    private final Migrations migrations;

    public PeerServer(int port, LivePeers peers, JobTable table, Migrations migrations) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(port));
        this.peers = peers;
        this.table = table;
        this.migrations = migrations;
        Thread t = new Thread(this::acceptLoop, "peer-accept");
        t.setDaemon(true);
        t.start();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "peer-" + s.getInetAddress().getHostAddress());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!server.isClosed()) LOG.warning("peer accept failed: " + e);
            }
        }
    }

    private void serve(Socket s) {
        PeerChannel ch;
        try {
            s.setTcpNoDelay(true);
            ch = peers.accept(s);
        } catch (IOException e) {
            LOG.warning("refused a peer connection from " + s.getInetAddress().getHostAddress() + ": " + e.getMessage());
            closeQuietly(s);
            return;
        }
        boolean keepOpen = false;
        try {
            PeerRequest req;
            try {
                req = PeerRequest.read(ch.in);
            } catch (MalformedFrameException e) {
                FrameCodec.writeText(ch.out, MessageType.ERROR, "bad request: " + e.getMessage());
                throw e;
            }
            switch (req.op()) {
                case LIST -> FrameCodec.write(ch.out, Frame.json(MessageType.LIST, table.views()));
                case MOVES -> migrations.serveMoves(ch);
                case HAS -> {
                    Job j = table.running(req.job());
                    FrameCodec.write(ch.out, Frame.json(MessageType.REPLY, j != null && j.state() != Job.State.MOVED));
                }
                case START -> {
                    try {
                        table.startForHome(req, ch);
                        keepOpen = true; // the job's link to its home now
                    } catch (IOException e) {
                        FrameCodec.writeText(ch.out, MessageType.ERROR, String.valueOf(e.getMessage()));
                    }
                }
                case ATTACH -> table.attachFromRunner(req, ch);
                case MIGRATE -> migrations.serveRequest(ch, req);
                case MIGRATE_IN -> migrations.serveIncoming(ch, req);
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
        server.close();
    }
}
