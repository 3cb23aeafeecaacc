package dev.mosvm.agent.balance;

/**
 * One of this node's jobs, as the balancer weighs it.
 *
 * @param id             the job
 * @param rssKb          resident memory: what a move must copy
 * @param workDone       reference-core seconds it has run (CPU seconds times the speed it ran at);
 *                       old jobs are the ones likely to run long (Harchol-Balter and Downey), so
 *                       this is also the estimate of the work it has left
 * @param pinned         may not move (-L, -r, or being moved already)
 * @param guest          its home is another node (guests leave first when memory runs short)
 * @param secondsSinceMove since it last arrived or started here: hysteresis against ping-pong
 */
public record JobLoad(String id, long rssKb, double workDone, boolean pinned, boolean guest, double secondsSinceMove) {}
