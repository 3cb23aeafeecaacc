package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One checkpoint of a job, as `migrate JOB checkpoint`, `mosvm checkpoint` and `mosps -v` show
 * it: which job, the checkpoint's number (1, 2, ... per job), where it is stored (a path on the
 * job's home, readable by the agents only), when it was taken and by which node, how many bytes
 * of memory pages it sent (an incremental one only the pages dirtied since its parent), its
 * parent's number (0: a full one), the bytes it holds with its chain (what a restart reads),
 * how long the job was frozen for it, and, for a job taken periodically ({@code mosrun -A}),
 * the interval.
 *
 * @param everyMinutes 0 unless the job is checkpointed periodically
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CheckpointRecord(String job, int number, String path, String at, String node, long pagesBytes, int parent,
                               long chainBytes, long frozenMillis, int everyMinutes) {}
