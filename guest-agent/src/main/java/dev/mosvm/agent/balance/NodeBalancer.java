package dev.mosvm.agent.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * One node's balancing: the pure {@link Balancer} and what the node remembers between its
 * decisions. Jobs it sent, placed or admitted count at their node until the gossip or the job
 * table shows them ({@link PendingMoves}), so one view is not used twice; a target that
 * refused is left out for a while ({@link Cooldowns}); ushering decides on the free memory
 * expected a move's time ahead ({@link FreeMemoryTrend}); and the cost model's transfer rate
 * is learnt from the node's own moves. Pure: loads in, decisions out, the time an argument;
 * the agent's loop and the simulator both drive it.
 */
public final class NodeBalancer {
    /** How long a job sent (or admitted) is counted at its target before the gossip can show it. */
    public static final long PENDING_MILLIS = 15_000;
    /** A target that refused or failed is left out of this node's decisions for this long. */
    public static final long COOLDOWN_MILLIS = 30_000;
    /**
     * Ushering looks this far ahead along the recent trend of free memory: a move takes tens of
     * seconds under emulation, and jobs that fill memory go on filling it meanwhile.
     */
    static final double USHER_HORIZON_SECONDS = 30;
    /** The trend of free memory is taken over this window. */
    static final long TREND_WINDOW_MILLIS = 20_000;

    private final String self;
    private final Predicate<String> inTable;
    private final PendingMoves pending = new PendingMoves(PENDING_MILLIS);
    private final Cooldowns cooldowns = new Cooldowns(COOLDOWN_MILLIS);
    private final FreeMemoryTrend trend = new FreeMemoryTrend(TREND_WINDOW_MILLIS);
    private Balancer balancer;
    private double measuredRate = -1;

    /**
     * One round's decision.
     *
     * @param here  this node as the round saw it: jobs on their way here counted, free memory as expected ahead
     * @param moves the moves to start
     */
    public record Round(NodeLoad here, List<Move> moves) {
        /** The rate each job gets here now, which a target weighs an offer against. */
        public double rateHere() {
            return here.rateWith(here.jobs());
        }
    }

    /**
     * @param self    this node's name
     * @param inTable whether a job is in this node's job table (it has arrived, or not yet left)
     */
    public NodeBalancer(String self, BalancerConfig cfg, Predicate<String> inTable) {
        this.self = self;
        this.inTable = inTable;
        this.balancer = new Balancer(cfg);
    }

    public synchronized BalancerConfig config() {
        return balancer.config();
    }

    /**
     * Which of this node's jobs to move now. Moves chosen count at their targets from here on.
     *
     * @param measured      this node as measured now (its table's jobs, free memory)
     * @param gossiped      the other live nodes as the gossip shows them
     * @param jobs          the jobs here that may be weighed (running, not being moved)
     * @param movesInFlight moves out of this node under way
     */
    public synchronized Round decide(NodeLoad measured, List<NodeLoad> gossiped, List<JobLoad> jobs, int movesInFlight,
                                     RandomGenerator rnd, long nowMillis) {
        NodeLoad now = pending.here(measured, inTable, nowMillis);
        long predicted = trend.predict(nowMillis, now.freeMemKb(), USHER_HORIZON_SECONDS);
        NodeLoad here = new NodeLoad(now.node(), now.cpus(), now.speed(), now.jobs(), Math.min(now.freeMemKb(), predicted), now.workDone());
        if (jobs.isEmpty()) return new Round(here, List.of());
        List<Move> moves = balancer.decide(here, peers(gossiped, nowMillis), jobs, movesInFlight, rnd);
        for (Move m : moves) {
            JobLoad l = jobs.stream().filter(x -> x.id().equals(m.job())).findFirst().orElseThrow();
            pending.toPeer(m.target(), m.job(), l.rssKb(), l.workDone(), gossipedJobs(gossiped, m.target()), nowMillis);
        }
        return new Round(here, moves);
    }

    /**
     * Where a new job should start: this node, or the peer where it would get the most CPU,
     * with one line on the choice. It counts there from now on; here, until it is in the table
     * (many starts arrive within a second, before any of them is).
     */
    public synchronized Move place(NodeLoad measured, List<NodeLoad> gossiped, String job, RandomGenerator rnd, long nowMillis) {
        NodeLoad here = pending.here(measured, inTable, nowMillis);
        List<NodeLoad> peers = peers(gossiped, nowMillis);
        String node = balancer.place(here, peers, rnd);
        if (node.equals(self)) {
            pending.toHere(self, job, 0, 0, nowMillis);
            return new Move(job, self, Move.Reason.PLACED,
                    String.format(Locale.ROOT, "%s was the best node (%.2f reference cores for it)", self, here.rateForOneMore()));
        }
        NodeLoad t = peers.stream().filter(p -> p.node().equals(node)).findFirst().orElseThrow();
        pending.toPeer(node, null, 0, 0, gossipedJobs(gossiped, node), nowMillis);
        return new Move(job, node, Move.Reason.PLACED, String.format(Locale.ROOT, "best node: %.2f reference cores for it there vs %.2f on %s",
                t.rateForOneMore(), here.rateForOneMore(), self));
    }

    /**
     * The target's check on a job a peer's balancer offers ({@link GuestAdmission}): why this
     * node will not take it, or null; a job taken counts here until it is in the table.
     *
     * @param ownJobs jobs in this node's table whose home is this node
     */
    public synchronized String admit(NodeLoad measured, int ownJobs, GuestAdmission.Offer offer, long nowMillis) {
        NodeLoad here = pending.here(measured, inTable, nowMillis);
        String refusal = GuestAdmission.refusal(balancer, here, ownJobs, offer);
        if (refusal == null) pending.toHere(self, offer.job(), offer.rssKb(), offer.workDone(), nowMillis);
        return refusal;
    }

    /** A move to {@code target} was refused or failed: it is left out of this node's decisions for a while. */
    public synchronized void failed(String target, long nowMillis) {
        cooldowns.refused(target, nowMillis);
    }

    /**
     * A move from this node took {@code totalMillis} and sent {@code bytes}: the transfer rate
     * the cost model uses is their moving average, the fixed part of the cost counted apart
     * (the rate is what each further byte costs).
     */
    public synchronized void moved(long bytes, long totalMillis) {
        if (totalMillis <= 0 || bytes <= 0) return;
        BalancerConfig c = balancer.config();
        double rate = bytes / Math.max(0.5, totalMillis / 1000.0 - c.fixedCostSeconds());
        measuredRate = measuredRate < 0 ? rate : 0.7 * measuredRate + 0.3 * rate;
        balancer = new Balancer(c.withTransferBytesPerSecond(measuredRate));
    }

    /** The live peers with the jobs on their way to them; refusers are left out for a while. */
    private List<NodeLoad> peers(List<NodeLoad> gossiped, long nowMillis) {
        List<NodeLoad> out = new ArrayList<>(gossiped.size());
        for (NodeLoad n : gossiped) {
            if (n.node().equals(self) || cooldowns.cooling(n.node(), nowMillis)) continue;
            out.add(pending.atPeer(n, nowMillis));
        }
        return out;
    }

    /** The job count {@code node}'s gossip shows (0 if it is not in the view). */
    private static int gossipedJobs(List<NodeLoad> gossiped, String node) {
        for (NodeLoad n : gossiped) if (n.node().equals(node)) return n.jobs();
        return 0;
    }
}
