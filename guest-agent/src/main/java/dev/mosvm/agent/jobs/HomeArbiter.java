package dev.mosvm.agent.jobs;

import dev.mosvm.agent.guard.Deadline;
import dev.mosvm.agent.net.PeerChannel;
import dev.mosvm.agent.wire.Frame;
import dev.mosvm.agent.wire.FrameCodec;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.agent.wire.PeerRequest;
import java.io.IOException;
import java.util.logging.Logger;

/**
 * The {@link CopyArbiter} of a move's source: the job's home settles, in this agent's own table
 * when home is this node, else asked over the peer channel within a bounded time. When home
 * settles for the source, the copy here takes the epoch home gave it before the verdict is
 * returned, so it is never taken for the copy it outlived when it next reaches home.
 */
final class HomeArbiter implements CopyArbiter {
    private static final Logger LOG = Logger.getLogger(HomeArbiter.class.getName());
    /** The most home's answer takes once connected (connecting has its own bounds): the job waits frozen meanwhile. */
    static final long ASK_MILLIS = 10_000;
    private final JobTable table;
    private final long askMillis;

    HomeArbiter(JobTable table, long askMillis) {
        this.table = table;
        this.askMillis = askMillis;
    }

    @Override
    public Verdict settle(JobSpec spec, String target) {
        CopyLedger.Settlement s = settlement(spec, target);
        if (s == null) return Verdict.NO_ANSWER;
        if (s.verdict() == Verdict.SOURCE_RESUMES) table.renew(spec.id(), s.epoch());
        return s.verdict();
    }

    /** Home's settlement (this node's own ledger if it is the job's home), or null if home could not be asked. */
    CopyLedger.Settlement settlement(JobSpec spec, String target) {
        return spec.home().equals(table.self()) ? table.settle(spec, target, table.self()) : ask(spec, target);
    }

    /** Home's settlement, or null if home is gone, unreachable in time, or answers anything else. */
    private CopyLedger.Settlement ask(JobSpec spec, String target) {
        String home = spec.home();
        PeerDirectory peers = table.peers();
        if (peers.isGone(home)) {
            LOG.warning("the home " + home + " of job " + spec.id() + " is gone: nobody can settle its move to " + target);
            return null;
        }
        try (PeerChannel ch = peers.connect(home); Deadline deadline = Deadline.closing(ch::close, askMillis)) {
            PeerRequest.write(ch.out, PeerRequest.settle(spec, target));
            Frame f = FrameCodec.read(ch.in);
            if (f == null) throw new IOException("home closed the connection without an answer");
            if (f.type() == MessageType.ERROR) throw new IOException(f.text());
            PeerRequest.Settled s = PeerRequest.Settled.of(f);
            return new CopyLedger.Settlement(PeerRequest.Settled.TARGET_HAS_IT.equals(s.verdict()) ? Verdict.TARGET_HAS_IT : Verdict.SOURCE_RESUMES,
                    s.epoch());
        } catch (IOException e) {
            LOG.warning("home " + home + " did not settle the move of job " + spec.id() + " to " + target + ": " + e.getMessage());
            return null;
        }
    }
}
