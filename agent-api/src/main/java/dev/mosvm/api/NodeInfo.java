package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One node's load vector, as the gossip carries it (MOSIX's bulletin-board entry).
 *
 * @param id        the node's name, unique in the pool
 * @param address   where peers reach its agent
 * @param port      its gossip port
 * @param cpus      online CPUs
 * @param speed     relative CPU speed (1.0 = reference core)
 * @param load      run-queue load (1-minute load average)
 * @param freeMemKb memory available for new work, KiB
 * @param jobs      mosvm jobs running there
 * @param workDone  reference-core seconds those jobs have run, summed: the balancer's estimate
 *                  of the work they have left (old jobs run long), so a node sending a job can
 *                  weigh whom it would slow down there
 * @param endpoint  where its WireGuard port is reached ("HOST:PORT") in a pool whose overlay is
 *                  on, else null; {@code address} is then its overlay address
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeInfo(String id, String address, int port, int cpus, double speed, double load, long freeMemKb, int jobs,
                       double workDone, String endpoint) {
    /** A node outside an overlay. */
    public NodeInfo(String id, String address, int port, int cpus, double speed, double load, long freeMemKb, int jobs, double workDone) {
        this(id, address, port, cpus, speed, load, freeMemKb, jobs, workDone, null);
    }

    /** A node without jobs' work to report (tests, simulations of gossip alone). */
    public NodeInfo(String id, String address, int port, int cpus, double speed, double load, long freeMemKb, int jobs) {
        this(id, address, port, cpus, speed, load, freeMemKb, jobs, 0, null);
    }
}
