package dev.mosvm.agent.jobs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.WireLimits;
import dev.mosvm.api.MigrationMode;
import java.util.List;
import java.util.Map;

/**
 * The first line on the job socket. {@code op} "run" (the default): what `mosrun` asks for,
 * the program and its arguments, the caller's environment and directory, and where to run it
 * ({@code node}, or {@code local} to stay home, or {@code startHome} to start home and let
 * the balancer move it; none of these: the best node). "list": what `mosps` asks for, every job in
 * the pool (one LIST frame comes back). "migrate": move {@code job} to {@code node} ("home"
 * for its home node); one REPLY or ERROR frame comes back. "checkpoint": take a checkpoint of
 * {@code job} now; one REPLY (a CheckpointRecord) or ERROR frame comes back.
 *
 * <p>With "run": {@code checkpointEvery} minutes between periodic checkpoints (mosrun -A),
 * {@code keepCheckpoints} how many to keep (-N), and {@code restart} a checkpoint to restart
 * from instead of starting {@code argv} (-R: a job id for its latest, JOB.N, or a checkpoint's path).
 *
 * <p>"reattach": `mosrun` whose agent stopped under its job {@code job} comes back to the new
 * agent, having had {@code out} bytes of the job's stdout and {@code err} of its stderr; the
 * stream then goes on as a run's after STARTED.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRequest(String op, List<String> argv, Map<String, String> env, String cwd, String node, Boolean local, String job,
                         MigrationMode mode, Boolean migratable, Boolean startHome, Integer checkpointEvery, Integer keepCheckpoints,
                         String restart, Long out, Long err) {
    /** @param migratable with {@code node}: the balancer may move it on later (mosrun -l) */
    public static JobRequest run(List<String> argv, Map<String, String> env, String cwd, String node, boolean local, boolean migratable) {
        return new JobRequest("run", argv, env, cwd, node, local, null, null, migratable, null, null, null, null, null, null);
    }

    public static JobRequest list() {
        return new JobRequest("list", null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public static JobRequest migrate(String job, String node, MigrationMode mode) {
        return new JobRequest("migrate", null, null, null, node, null, job, mode, null, null, null, null, null, null, null);
    }

    public static JobRequest checkpoint(String job) {
        return new JobRequest("checkpoint", null, null, null, null, null, job, null, null, null, null, null, null, null, null);
    }

    public static JobRequest reattach(String job, long out, long err) {
        return new JobRequest("reattach", null, null, null, null, null, job, null, null, null, null, null, null, out, err);
    }

    boolean pinned() {
        return Boolean.TRUE.equals(local);
    }

    /** Most minutes between a job's periodic checkpoints (mosrun -A): a week. mosrun.c checks the same bounds. */
    public static final int MAX_CHECKPOINT_EVERY = 10080;
    /** Most checkpoints a job's home keeps (mosrun -N). */
    public static final int MAX_KEEP_CHECKPOINTS = WireLimits.MAX_KEEP_CHECKPOINTS;

    /** Minutes between the job's periodic checkpoints, 0 for none; throws naming the field if it is out of bounds. */
    int checkpointMinutes() {
        if (checkpointEvery == null) return 0;
        if (checkpointEvery < 1 || checkpointEvery > MAX_CHECKPOINT_EVERY) {
            throw new IllegalArgumentException("checkpointEvery (mosrun -A) must be 1 to " + MAX_CHECKPOINT_EVERY + " minutes, not " + checkpointEvery);
        }
        return checkpointEvery;
    }

    /** How many of the job's checkpoints to keep, {@link JobSpec#DEFAULT_KEEP} unless asked; throws naming the field if it is out of bounds. */
    int checkpointsKept() {
        if (keepCheckpoints == null) return JobSpec.DEFAULT_KEEP;
        if (keepCheckpoints < 1 || keepCheckpoints > MAX_KEEP_CHECKPOINTS) {
            throw new IllegalArgumentException("keepCheckpoints (mosrun -N) must be 1 to " + MAX_KEEP_CHECKPOINTS + ", not " + keepCheckpoints);
        }
        return keepCheckpoints;
    }
}
