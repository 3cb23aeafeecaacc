package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.JobSpec;

/**
 * What an agent that restarts needs to adopt a job still running here ({@link Adoption}): the
 * job, the supervisor it runs under, told apart from a later process given the same pid by its
 * start time, and what the job's copy here continues from.
 *
 * @param supervisor      the supervisor's pid
 * @param supervisorStart its start time, in clock ticks after boot (/proc/PID/stat field 22)
 * @param cgroup          the job's cgroup, or null for none
 * @param stdinClosed     whether the caller's input has ended (the supervisor let go of it, or is told to again)
 * @param outBefore       bytes of stdout the job wrote before this copy (a restored checkpoint's); those read here are in {@link OutputCounts}
 * @param errBefore       the same for stderr
 * @param memoryArriving whether a lazy restore's daemon was still copying its memory in
 * @param memoryFrom      the round of images that daemon reads ({@link MemoryArrival}), or null: a record
 *                        saying memory arrives and naming none (an older agent's) is not adopted
 * @param stoppedFor      the node a move's final dump stopped the job for, or null: a job found
 *                        stopped with it is adopted if home settles that move for this copy
 */
public record JobRecord(JobSpec spec, long supervisor, long supervisorStart, String cgroup, boolean stdinClosed, long outBefore, long errBefore,
                        boolean memoryArriving, String memoryFrom, String stoppedFor) {}
