package dev.mosvm.agent.balance;

/**
 * One node as the balancer sees it: from the gossiped load vector for peers, fresh for itself.
 *
 * @param node      the node's name
 * @param cpus      CPUs it runs jobs on
 * @param speed     speed of one of its CPUs (1.0 = reference core)
 * @param jobs      CPU-bound jobs running there
 * @param freeMemKb memory available for more work
 * @param workDone  reference-core seconds its jobs have run, summed: with heavy-tailed
 *                  lifetimes, also the estimate of the work they have left (gossiped, so a
 *                  sender can weigh whom its job would slow down there)
 */
public record NodeLoad(String node, int cpus, double speed, int jobs, long freeMemKb, double workDone) {
    public NodeLoad(String node, int cpus, double speed, int jobs, long freeMemKb) {
        this(node, cpus, speed, jobs, freeMemKb, 0);
    }

    /** The rate (reference-core seconds per second) one more job would get there, sharing the CPUs fairly. */
    public double rateForOneMore() {
        return rateWith(jobs + 1);
    }

    /** The rate each job gets when {@code n} jobs share the node. */
    public double rateWith(int n) {
        return speed * Math.min(1.0, (double) cpus / Math.max(1, n));
    }

    /** This node after a job of {@code rssKb} and {@code work} arrives (or, negative, leaves). */
    NodeLoad plus(int n, long rssKb, double work) {
        return new NodeLoad(node, cpus, speed, Math.max(0, jobs + n), freeMemKb - rssKb, Math.max(0, workDone + work));
    }
}
