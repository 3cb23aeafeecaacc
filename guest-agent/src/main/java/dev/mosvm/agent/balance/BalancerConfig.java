package dev.mosvm.agent.balance;

/**
 * What the balancer may do, and how eager it is.
 *
 * @param periodSeconds      how often each node decides
 * @param minWorkSeconds     jobs with less work done stay: most young jobs end before a move pays
 * @param gainFactor         a move must save this many times its cost
 * @param transferBytesPerSecond rate at which a job's memory moves (measured; cost = rss / rate)
 * @param fixedCostSeconds   per-move overhead beyond copying memory (gate, dump, restore)
 * @param usherBelowKb       free memory under which guest jobs are sent away
 * @param maxConcurrent      moves out of one node at a time
 * @param settleSeconds      a job that just arrived is not moved again for this long
 * @param candidates         peers weighed per decision (random sample of the view, as MOSIX's window)
 * @param nearBest           move targets within this fraction of the best are chosen among at
 *                           random, so nodes reading the same view do not all pick the same idle
 *                           node; a new job stays home when home is this close to the best
 */
public record BalancerConfig(double periodSeconds, double minWorkSeconds, double gainFactor, double transferBytesPerSecond,
                             double fixedCostSeconds, long usherBelowKb, int maxConcurrent, double settleSeconds, int candidates,
                             double nearBest) {
    /**
     * For appliance VMs: a move costs seconds (more under emulation), so a job goes only when
     * it saves twice that. Work is in reference-core seconds, which a slow or capped emulated
     * CPU (speed under 0.1) earns very slowly, so there is no floor on work done: the gain test
     * does the weighing, and a job must have run 20 s on a node before it may leave it.
     */
    public static final BalancerConfig DEFAULT = new BalancerConfig(5, 0, 2.0, 20e6, 5, 128 * 1024, 1, 20, 32, 0.1);

    /** This configuration with a measured transfer rate. */
    public BalancerConfig withTransferBytesPerSecond(double rate) {
        return new BalancerConfig(periodSeconds, minWorkSeconds, gainFactor, rate, fixedCostSeconds, usherBelowKb, maxConcurrent,
                settleSeconds, candidates, nearBest);
    }
}
