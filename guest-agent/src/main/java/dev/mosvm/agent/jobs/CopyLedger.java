package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.JobSpec;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Home's account of one job's copies: the epoch a copy must have to be the job, the copies that
 * reached home (each by the node it attached from, as the peer channel proved it), and the
 * moves home settled ({@link CopyArbiter}). Arrivals and settlements take this ledger's lock,
 * so a target's copy either reaches home before its move is settled (then it has the job) or is
 * fenced by that settlement (then it is stopped): never both, never neither.
 *
 * <p>A ledger has its own lock rather than its {@link HomeRecord}'s: a write to a dead runner
 * may hold the record's lock until that runner's link is cut, and a settlement must not wait
 * for it.
 */
final class CopyLedger {
    /**
     * A copy of a job as it reaches home: the node it runs on, its epoch, and the moves its spec
     * counts (a move's target attaches with the spec its source sent, so the next visit of the
     * job to the same node counts more moves and is told apart from this one).
     */
    record Copy(String node, int epoch, int hops) {
        static Copy of(String node, JobSpec spec) {
            return new Copy(node, spec.epoch(), spec.migrations().size());
        }
    }

    /** What home settled for a move: the verdict, and the epoch the job's copy has from then on. */
    record Settlement(CopyArbiter.Verdict verdict, int epoch) {}

    /** How a copy reaching home is received. */
    enum Arrival {
        /** It is the job: it may relay. */
        ADMITTED,
        /** Home settled its move for the source's copy: it is stopped, and nothing of it reaches the caller. */
        SETTLED_AWAY,
        /** A newer copy is the job (home recovered it from a checkpoint): it is stopped. */
        STALE
    }

    /** A node whose copy of an epoch is the job though home raised the epoch past it (the source of a settled move). */
    private record Renewed(String node, int epoch) {}

    private int epoch;
    private final Set<Copy> arrived = new HashSet<>();
    private final Map<Copy, Settlement> settled = new HashMap<>();
    /**
     * The source of a move settled its way, until it hears the new epoch: its copy may reattach
     * with the old one meanwhile, and must not be taken for the copy it outlived.
     */
    private final Set<Renewed> renewed = new HashSet<>();

    CopyLedger(int epoch) {
        this.epoch = epoch;
    }

    /** The epoch of the job's current copy. */
    synchronized int epoch() {
        return epoch;
    }

    /**
     * The epoch of a copy home brings back from a checkpoint: above the current one and above
     * {@code atLeast}. Every copy before it is stale, the source of a settled move too.
     */
    synchronized int nextEpoch(int atLeast) {
        epoch = Math.max(epoch, atLeast) + 1;
        renewed.clear();
        return epoch;
    }

    /** Copy {@code c} attaches (or, at home, arrives by a move): whether it is the job. */
    synchronized Arrival arrive(Copy c) {
        Settlement s = settled.get(c);
        if (s != null && s.verdict() == CopyArbiter.Verdict.SOURCE_RESUMES) return Arrival.SETTLED_AWAY;
        if (c.epoch() < epoch && !renewed.contains(new Renewed(c.node(), c.epoch()))) return Arrival.STALE;
        arrived.add(c);
        return Arrival.ADMITTED;
    }

    /**
     * Settles the move of the job to {@code target} (the copy the target would attach as) for
     * its source, node {@code source}: the target has the job if its copy arrived already (or a
     * later one from the same node: it moved on from there); else home fences that copy and the
     * source's is the job, at an epoch above the fenced one's, so the job may later move to the
     * same node again without being taken for the fenced copy. A source whose own copy is stale
     * keeps its epoch: it is stopped when it attaches. The verdict is final: asked again, home
     * gives the same.
     */
    synchronized Settlement settle(Copy target, String source) {
        Settlement s = settled.get(target);
        if (s != null) return s;
        if (arrivedFrom(target)) {
            s = new Settlement(CopyArbiter.Verdict.TARGET_HAS_IT, target.epoch());
        } else if (target.epoch() < epoch) {
            s = new Settlement(CopyArbiter.Verdict.SOURCE_RESUMES, target.epoch());
        } else {
            epoch = target.epoch() + 1;
            renewed.add(new Renewed(source, target.epoch()));
            s = new Settlement(CopyArbiter.Verdict.SOURCE_RESUMES, epoch);
        }
        settled.put(target, s);
        return s;
    }

    /**
     * Copy {@code c} arrived home by a move that was then dropped before it ran: unless its move
     * was settled already, it is not the job, and a settlement asked later fences it.
     */
    synchronized void withdraw(Copy c) {
        if (!settled.containsKey(c)) arrived.remove(c);
    }

    private boolean arrivedFrom(Copy target) {
        for (Copy a : arrived) {
            if (a.node().equals(target.node()) && a.epoch() == target.epoch() && a.hops() >= target.hops()) return true;
        }
        return false;
    }
}
