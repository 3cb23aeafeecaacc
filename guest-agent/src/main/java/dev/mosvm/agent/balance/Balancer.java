package dev.mosvm.agent.balance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Decides which of this node's jobs should run elsewhere, from the gossiped view alone: pure
 * (view and jobs in, moves out), so the agent and the simulator run the same code.
 *
 * <p>A job is worth moving when the time it is expected to save exceeds its move's cost by
 * {@link BalancerConfig#gainFactor()}. Its remaining work is estimated by the work it has done
 * (heavy-tailed lifetimes: an old job is likely to run long), the rate it gets here and there
 * comes from the nodes' speeds, CPUs and jobs, and the cost is its memory over the transfer
 * rate plus a fixed overhead. A move must make the job strictly faster, so two equal nodes
 * never trade jobs; a job that just arrived settles before it may move again. When free
 * memory runs short, jobs are ushered away first (guests before the node's own, largest first,
 * never a pinned one) to nodes that can hold them.
 */
public final class Balancer {
    private final BalancerConfig cfg;

    public Balancer(BalancerConfig cfg) {
        this.cfg = cfg;
    }

    public BalancerConfig config() {
        return cfg;
    }

    /**
     * @param self          this node, with fresh figures
     * @param peers         the other live nodes, as gossiped
     * @param jobs          the jobs running here
     * @param movesInFlight moves out of this node under way
     */
    public List<Move> decide(NodeLoad self, List<NodeLoad> peers, List<JobLoad> jobs, int movesInFlight, RandomGenerator rnd) {
        int budget = cfg.maxConcurrent() - movesInFlight;
        if (budget <= 0 || jobs.isEmpty() || peers.isEmpty()) return List.of();
        Map<String, NodeLoad> view = new HashMap<>();
        for (NodeLoad p : sample(peers, rnd)) view.put(p.node(), p);
        List<Move> moves = new ArrayList<>();
        List<JobLoad> left = new ArrayList<>(jobs);
        NodeLoad here = self;
        while (moves.size() < budget) {
            Move m = here.freeMemKb() < cfg.usherBelowKb() ? usher(here, view, left) : balance(here, view, left, rnd);
            if (m == null) break;
            JobLoad j = left.stream().filter(x -> x.id().equals(m.job())).findFirst().orElseThrow();
            left.remove(j);
            view.put(m.target(), view.get(m.target()).plus(1, j.rssKb(), j.workDone()));
            here = here.plus(-1, -j.rssKb(), -j.workDone());
            moves.add(m);
        }
        return moves;
    }

    private Move usher(NodeLoad here, Map<String, NodeLoad> view, List<JobLoad> jobs) {
        List<JobLoad> order = jobs.stream().filter(j -> !j.pinned())
                .sorted(Comparator.comparing((JobLoad j) -> !j.guest()).thenComparing(Comparator.comparingLong(JobLoad::rssKb).reversed()))
                .toList();
        for (JobLoad j : order) {
            NodeLoad best = null;
            for (NodeLoad t : view.values()) {
                if (!fits(t, j)) continue;
                if (best == null || t.rateForOneMore() > best.rateForOneMore()
                        || t.rateForOneMore() == best.rateForOneMore() && t.freeMemKb() > best.freeMemKb()) best = t;
            }
            if (best != null) {
                return new Move(j.id(), best.node(), Move.Reason.USHERED, String.format(java.util.Locale.ROOT,
                        "%s had %d MiB free (under %d MiB); %s has %d MiB", here.node(), here.freeMemKb() / 1024,
                        cfg.usherBelowKb() / 1024, best.node(), best.freeMemKb() / 1024));
            }
        }
        return null;
    }

    private Move balance(NodeLoad here, Map<String, NodeLoad> view, List<JobLoad> jobs, RandomGenerator rnd) {
        double totalWork = 0;
        for (JobLoad j : jobs) totalWork += j.workDone();
        Gains g = new Gains(here, here.rateWith(here.jobs()), totalWork);
        JobLoad bestJob = null;
        double bestNet = 0;
        for (JobLoad j : jobs) {
            if (j.pinned() || j.workDone() < cfg.minWorkSeconds() || j.secondsSinceMove() < cfg.settleSeconds()) continue;
            for (NodeLoad t : view.values()) {
                double net = net(j, g, t);
                if (net > bestNet) {
                    bestNet = net;
                    bestJob = j;
                }
            }
        }
        if (bestJob == null) return null;
        // the best job; among targets nearly as good for it, any (nodes share views: spread the herd)
        JobLoad j = bestJob;
        double floor = bestNet * (1 - cfg.nearBest());
        List<NodeLoad> good = view.values().stream().filter(t -> net(j, g, t) >= floor)
                .sorted(Comparator.comparing(NodeLoad::node)).toList();
        NodeLoad t = good.get(rnd.nextInt(good.size()));
        return new Move(j.id(), t.node(), Move.Reason.BALANCED, String.format(java.util.Locale.ROOT,
                "%.2f there vs %.2f on %s (reference cores); the pool saves ~%.0f s for a %.0f s move",
                t.rateForOneMore(), g.rateHere, here.node(), g.saved(j, t), cost(j)));
    }

    /**
     * Expected seconds of job time a move saves, counted over the jobs it touches: the moved
     * job (its rate here against there), the jobs it leaves (they share the CPUs with one fewer),
     * and the jobs it joins (one more to share with, their work as the target gossips it).
     * Remaining work is estimated by work done. A move is made only when this total falls, so
     * with a fresh view jobs cannot cycle: two equal nodes never trade a job.
     */
    private record Gains(NodeLoad here, double rateHere, double totalWork) {
        double saved(JobLoad j, NodeLoad t) {
            if (rateHere <= 0) return 0;
            int k = here.jobs();
            double own = j.workDone() / rateHere - j.workDone() / t.rateForOneMore();
            double othersHere = (totalWork - j.workDone()) * (1 / rateHere - 1 / here.rateWith(k - 1));
            double othersThere = t.jobs() == 0 ? 0 : t.workDone() * (1 / t.rateWith(t.jobs() + 1) - 1 / t.rateWith(t.jobs()));
            return own + othersHere - othersThere;
        }
    }

    /** Saved time minus the move's cost, when it saves gainFactor times the cost; else 0. */
    private double net(JobLoad j, Gains g, NodeLoad t) {
        if (!fits(t, j)) return 0;
        double saved = g.saved(j, t);
        double cost = cost(j);
        return saved > cfg.gainFactor() * cost ? saved - cost : 0;
    }

    /** Seconds a move of {@code j} costs it. */
    public double cost(JobLoad j) {
        return cfg.fixedCostSeconds() + j.rssKb() * 1024.0 / cfg.transferBytesPerSecond();
    }

    /** Whether {@code t} can take the job and stay above the ushering threshold. */
    private boolean fits(NodeLoad t, JobLoad j) {
        return t.freeMemKb() - roomFor(j.rssKb()) >= cfg.usherBelowKb();
    }

    /**
     * Memory a target needs to take a job of {@code rssKb}: its images (staged in memory, so
     * pages never touch a disk) and the restored job exist at once until the restore ends.
     */
    static long roomFor(long rssKb) {
        return 2 * rssKb;
    }

    /**
     * The target's own check when a job is offered (its view of itself is fresher than the
     * sender's): a placed or balanced job must still run faster here than where it is, an
     * ushered job must fit.
     */
    public boolean accepts(NodeLoad self, Move.Reason reason, double rateAtSource, long rssKb) {
        if (self.freeMemKb() - roomFor(rssKb) < cfg.usherBelowKb()) return false;
        return reason == Move.Reason.USHERED || self.rateForOneMore() > rateAtSource;
    }

    /**
     * Where a new job should start (MOSIX's best node): the node where it would get the most
     * CPU, this node when it is nearly as good (starting elsewhere is cheap, not free), and
     * among remote nodes nearly as good as the best, any.
     */
    public String place(NodeLoad self, List<NodeLoad> peers, RandomGenerator rnd) {
        List<NodeLoad> all = new ArrayList<>(sample(peers, rnd));
        double best = self.rateForOneMore();
        for (NodeLoad p : all) if (p.freeMemKb() >= cfg.usherBelowKb()) best = Math.max(best, p.rateForOneMore());
        if (self.rateForOneMore() >= best * (1 - cfg.nearBest()) && self.freeMemKb() >= cfg.usherBelowKb()) return self.node();
        // the best peer itself, not one near it at random: a burst from one node must split as
        // the speeds say (one job too many on a node is its whole share too long), and the
        // sampled window already keeps nodes of a large pool from all picking the same one
        // (simulator, 16 and 1,000 nodes: no worse than choosing among the near-best)
        double floor = best * (1 - 1e-9);
        List<NodeLoad> good = all.stream().filter(p -> p.freeMemKb() >= cfg.usherBelowKb() && p.rateForOneMore() >= floor)
                .sorted(Comparator.comparing(NodeLoad::node)).toList();
        return good.isEmpty() ? self.node() : good.get(rnd.nextInt(good.size())).node();
    }

    private List<NodeLoad> sample(List<NodeLoad> peers, RandomGenerator rnd) {
        if (peers.size() <= cfg.candidates()) return peers;
        List<NodeLoad> copy = new ArrayList<>(peers);
        for (int i = 0; i < cfg.candidates(); i++) java.util.Collections.swap(copy, i, i + rnd.nextInt(copy.size() - i));
        return copy.subList(0, cfg.candidates());
    }
}
