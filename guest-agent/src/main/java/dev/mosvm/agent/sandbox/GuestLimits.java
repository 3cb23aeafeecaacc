package dev.mosvm.agent.sandbox;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a guest job (one whose home is another node) may take of the node that runs it, as
 * cgroup v2 settings of the job's own cgroup: a low CPU weight, so it gets only CPU the owner's
 * jobs leave idle; a memory ceiling below the node's memory by the ushering reserve, so a guest
 * that outgrows the node is killed, whole, at its own limit; a process count, so a fork bomb
 * stops at its own limit. A job at home has none of them. CRIU restores no cgroup v2
 * settings, so the target writes them before it restores a job into the cgroup. Pure.
 *
 * @param memoryMaxBytes a guest's memory.max
 * @param pidsMax        a guest's pids.max: processes and threads together
 */
public record GuestLimits(long memoryMaxBytes, int pidsMax) {
    /** Guests' CPU weight against the node's own jobs' 100 (cgroup v2 cpu.weight). */
    public static final int GUEST_CPU_WEIGHT = 5;
    /** The default process count: ample for a compiler's or a parallel job's children, far below a fork bomb's. */
    public static final int GUEST_PIDS_MAX = 1024;

    public GuestLimits {
        if (memoryMaxBytes <= 0) throw new IllegalArgumentException("a guest's memory limit must be positive: " + memoryMaxBytes);
        if (pidsMax <= 0) throw new IllegalArgumentException("a guest's process limit must be positive: " + pidsMax);
    }

    /**
     * The limits on a node with {@code memTotalKb} of memory that keeps {@code reserveKb} for
     * itself (the agent, sshd, NFS, the owner's jobs); at least a quarter of its memory.
     */
    public static GuestLimits forNode(long memTotalKb, long reserveKb) {
        if (memTotalKb <= 0) throw new IllegalArgumentException("no memory size for this node: " + memTotalKb + " kB");
        long kb = Math.max(memTotalKb - Math.max(reserveKb, 0), memTotalKb / 4);
        return new GuestLimits(Math.max(kb, 1) * 1024, GUEST_PIDS_MAX);
    }

    /** A guest's cgroup files and what they hold. */
    public Map<String, String> cgroupFiles() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("cpu.weight", String.valueOf(GUEST_CPU_WEIGHT));
        files.put("memory.max", String.valueOf(memoryMaxBytes));
        files.put("pids.max", String.valueOf(pidsMax));
        // past its ceiling a guest ends whole, not as a job with a process missing
        files.put("memory.oom.group", "1");
        return files;
    }

    /**
     * Why a guest of {@code rssKb} resident memory and {@code tasks} processes and threads cannot
     * come to {@code node}, or null: above the memory ceiling it would be killed as it is
     * restored, and then it is nowhere; above the process count its restore fails to fork.
     */
    public String refusal(String node, String job, long rssKb, long tasks) {
        if (rssKb > memoryMaxBytes / 1024) { // a peer's figure: no multiplying it
            return String.format(Locale.ROOT, "job %s uses %d MiB, more than the %d MiB a guest may use on %s", job, rssKb / 1024,
                    memoryMaxBytes >> 20, node);
        }
        if (tasks > pidsMax) {
            return String.format(Locale.ROOT, "job %s has %d processes and threads, more than the %d a guest may have on %s", job, tasks,
                    pidsMax, node);
        }
        return null;
    }
}
