package dev.mosvm.agent.pool;

import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobFrames;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.PeerRequest;
import dev.mosvm.agent.migrate.Migrations;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.api.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
            PeerRequest req = PeerRequest.read(ch.in);
            switch (req.op()) {
                case "list" -> JobFrames.write(ch.out, JobFrames.LIST, Json.MAPPER.writeValueAsBytes(table.views()));
                case "moves" -> migrations.serveMoves(ch);
                case "has" -> {
                    Job j = table.running(req.job());
                    boolean runs = j != null && j.state() != Job.State.MOVED;
                    JobFrames.write(ch.out, JobFrames.REPLY, String.valueOf(runs).getBytes(StandardCharsets.UTF_8));
                }
                case "start" -> {
                    try {
                        table.startForHome(req, ch);
                        keepOpen = true; // the job's link to its home now
                    } catch (IOException e) {
                        JobFrames.write(ch.out, JobFrames.ERROR, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
                    }
                }
                case "attach" -> table.attachFromRunner(req, ch);
                case "migrate" -> migrations.serveRequest(ch, req);
                case "migrate-in" -> migrations.serveIncoming(ch, req);
                default -> JobFrames.write(ch.out, JobFrames.ERROR, ("unknown request " + req.op()).getBytes(StandardCharsets.UTF_8));
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
