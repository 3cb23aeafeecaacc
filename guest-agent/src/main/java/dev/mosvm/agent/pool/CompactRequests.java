package dev.mosvm.agent.pool;

import dev.mosvm.agent.checkpoint.Checkpointer;
import dev.mosvm.agent.guard.Deadline;
import dev.mosvm.agent.guard.Workers;
import dev.mosvm.agent.jobs.PeerDirectory;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * The {@code compact} request, both ways: the node a job runs on asks the job's home to fold
 * its checkpoints once it sealed one ({@link #ask}), and home accepts such requests from its
 * peers ({@link #serve}) into its {@link HomeFolds}.
 *
 * <p>Asking is fire-and-forget: one background thread, a bounded wait for home's answer
 * ({@link #ASK_MILLIS}), at most one request per job on its way, and a failure only logged
 * (the next checkpoint asks again). A job whose home is this node is folded here without a
 * connection.
 */
public final class CompactRequests implements Checkpointer.Compactions, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CompactRequests.class.getName());
    /** The most home's answer takes once connected: it answers before folding, so this is generous. */
    static final long ASK_MILLIS = 5_000;
    /** How many requests may wait for the asking thread (each job at most once). */
    static final int MAX_WAITING = 64;

    private final String self;
    private final PeerDirectory peers;
    private final HomeFolds folds;
    private final long askMillis;
    private final Executor asker;
    private final ExecutorService owned;
    /** Jobs whose request waits for the asking thread: another for the same job adds nothing. */
    private final Set<String> onTheirWay = ConcurrentHashMap.newKeySet();

    /** Asks on a thread of its own; {@code folds} folds this node's own jobs' checkpoints. */
    public CompactRequests(String self, PeerDirectory peers, HomeFolds folds) {
        this(self, peers, folds, ASK_MILLIS, Workers.queued(1, MAX_WAITING, "compact-ask"));
    }

    CompactRequests(String self, PeerDirectory peers, HomeFolds folds, long askMillis, Executor asker) {
        this.self = self;
        this.peers = peers;
        this.folds = folds;
        this.askMillis = askMillis;
        this.asker = asker;
        this.owned = asker instanceof ExecutorService e ? e : null;
    }

    @Override
    public void ask(String home, String job, int keep) {
        if (home.equals(self)) {
            String refused = folds.request(job, keep);
            if (refused != null) LOG.info("checkpoints of " + job + " not compacted: " + refused);
            return;
        }
        if (!onTheirWay.add(job)) return; // the request waiting already asks for the same
        try {
            asker.execute(() -> {
                onTheirWay.remove(job); // from now on a newer checkpoint's request goes too
                askHome(home, job, keep);
            });
        } catch (RejectedExecutionException e) {
            onTheirWay.remove(job);
            LOG.fine("checkpoints of " + job + " not compacted now: " + MAX_WAITING + " requests wait");
        }
    }

    /** Asks home {@code home} to compact {@code job}'s checkpoints; logs what went wrong, if anything. */
    private void askHome(String home, String job, int keep) {
        if (peers.isGone(home)) {
            LOG.fine("checkpoints of " + job + " not compacted: its home " + home + " is gone");
            return;
        }
        try (PeerChannel ch = peers.connect(home); Deadline deadline = Deadline.closing(ch::close, askMillis)) {
            try {
                PeerRequest.write(ch.out, PeerRequest.compact(job, keep));
                Frame f = FrameCodec.read(ch.in);
                if (f == null) throw new IOException("home closed the connection without an answer");
                if (f.type() == MessageType.ERROR) {
                    LOG.info("home " + home + " does not compact the checkpoints of " + job + ": " + f.text());
                } else if (f.type() != MessageType.REPLY) {
                    throw new IOException("home answered with a " + f.type() + " frame");
                }
            } catch (IOException e) {
                deadline.check("home's answer");
                throw e;
            }
        } catch (IOException e) {
            LOG.fine("home " + home + " did not take the request to compact the checkpoints of " + job + ": " + e.getMessage());
        }
    }

    /** Home's side: accepts a peer's request into {@link HomeFolds} and answers at once (REPLY true), or says why not (ERROR). */
    public void serve(PeerRequest req, PeerChannel link) throws IOException {
        String refused = folds.request(req.job(), req.keep());
        if (refused != null) {
            LOG.info("refused to compact the checkpoints of " + req.job() + " for " + link.peer() + ": " + refused);
            FrameCodec.writeText(link.out, MessageType.ERROR, refused);
            return;
        }
        FrameCodec.write(link.out, Frame.json(MessageType.REPLY, true));
    }

    @Override
    public void close() {
        if (owned != null) owned.shutdown();
    }
}
