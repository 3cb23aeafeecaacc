package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MigrationRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A job as `mosps` shows it: id, owner, home, where it runs, state, CPU time and resident
 * memory on the node it runs on now (from its cgroup, so every process of the job counts; -1
 * where the kernel does not account them), and its migrations with their figures; why it is
 * where it is (reason: home, requested, placed, moved, balanced, ushered; why: the decision
 * in one line), the work it has done in reference-core seconds, and whether the balancer
 * leaves it alone (-L or -r).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobView(String id, int uid, String user, String home, String where, String state, List<String> argv,
                      String started, double cpuSeconds, long rssKb, int migrations, boolean pinned,
                      List<MigrationRecord> migrationHistory, String reason, String why, double workDone, boolean stays) {
    /** A LIST frame's payload, as a job list request is answered. */
    public static final TypeReference<List<JobView>> LIST_TYPE = new TypeReference<>() {};

    static JobView of(Job j, String node, double workDone) {
        JobSpec s = j.spec();
        String state = !j.launcher().isAlive() ? "EXITED" : j.state().name();
        return new JobView(j.id(), j.uid(), userName(j.uid()), s.home(), node, state, j.argv(), s.started(),
                cpuSeconds(j.cgroup()), rssKb(j.cgroup()), s.migrations().size(), s.pinned(), s.migrations(), s.reason(), s.reasonWhy(),
                Math.round(workDone * 10) / 10.0, !s.balanced());
    }

    public static double cpuSeconds(Path cgroup) {
        try {
            for (String line : Files.readAllLines(cgroup.resolve("cpu.stat"))) {
                if (line.startsWith("usage_usec ")) return Long.parseLong(line.substring(11).trim()) / 1e6;
            }
        } catch (Exception e) {
            // no cgroup, or not accounted
        }
        return -1;
    }

    public static long rssKb(Path cgroup) {
        try {
            return Long.parseLong(Files.readString(cgroup.resolve("memory.current")).trim()) / 1024;
        } catch (Exception e) {
            return -1; // the memory controller is not enabled for the jobs' cgroups
        }
    }

    private static String userName(int uid) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].equals(String.valueOf(uid))) return f[0];
            }
        } catch (Exception e) {
            // fall through to the number
        }
        return String.valueOf(uid);
    }
}
