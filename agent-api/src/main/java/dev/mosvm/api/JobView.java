package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A job as `mosps` (and `mosvm ps` on the host) shows it: id, owner, home, where it runs,
 * state, CPU time and resident memory on the node it runs on now (from its cgroup, so every
 * process of the job counts; -1 where the kernel does not account them), and its migrations
 * with their figures; why it is where it is (reason: home, requested, placed, moved, balanced,
 * ushered; why: the decision in one line), the work it has done in reference-core seconds, and
 * whether the balancer leaves it alone (-L or -r); its latest checkpoint (null if it has none)
 * and how often it is checkpointed (0: only when asked).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record JobView(String id, int uid, String user, String home, String where, String state, List<String> argv,
                      String started, double cpuSeconds, long rssKb, int migrations, boolean pinned,
                      List<MigrationRecord> migrationHistory, String reason, String why, double workDone, boolean stays,
                      CheckpointRecord checkpoint, int checkpointEveryMinutes) {}
