package dev.mosvm.agent.jobs;

import dev.mosvm.agent.wire.JobSpec;
import dev.mosvm.agent.wire.MessageType;
import dev.mosvm.api.CheckpointRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A node's checkpoints as a test sets them: every request is recorded (job, uid), a job's owner
 * or root gets {@link #record}, another user is refused as the real ones refuse, and so is a
 * job the test has given a reason to ({@link #refuse}). Also jobs to checkpoint: sleeps
 * adopted into a table, with no launcher, cgroup or root needed.
 */
public final class FakeCheckpoints implements Checkpoints {
    /** Every checkpoint asked for, in order: job, uid. */
    public final List<List<Object>> asked = Collections.synchronizedList(new ArrayList<>());
    private final String node;
    private final int owner;
    private final Map<String, String> refusals = new ConcurrentHashMap<>();

    /** @param owner the uid owning every job here */
    public FakeCheckpoints(String node, int owner) {
        this.node = node;
        this.owner = owner;
    }

    /** Checkpoints of {@code job} are refused with {@code reason} from now on. */
    public FakeCheckpoints refuse(String job, String reason) {
        refusals.put(job, reason);
        return this;
    }

    /** The checkpoint every granted request of {@code job} on {@code node} gets: its second, on its first. */
    public static CheckpointRecord record(String job, String node) {
        return new CheckpointRecord(job, 2, "/pool/a/.mosvm-checkpoints/" + job + "/2", "2026-12-04T12:00:00Z", node, 1 << 20, 1, 5 << 20, 300, 0);
    }

    @Override
    public CheckpointRecord checkpoint(String job, int uid) throws IOException {
        asked.add(List.of(job, uid));
        if (refusals.containsKey(job)) throw new IOException(refusals.get(job));
        if (uid != 0 && uid != owner) throw new IOException("job " + job + " belongs to another user");
        return record(job, node);
    }

    @Override
    public CheckpointRecord latest(Job job) {
        return null;
    }

    private final Map<String, JobSpec> offered = new ConcurrentHashMap<>();
    /** Checkpoints that restore, as a sleep in a stand-in cgroup directory (its cgroup.procs names it, so resume finds it). */
    private final Map<String, Path> restorable = new ConcurrentHashMap<>();

    /** As {@link #offer}, but restoring it gives a running job: a sleep whose stand-in cgroup is made in {@code cgroups}. */
    public FakeCheckpoints offerRestorable(String reference, JobSpec spec, Path cgroups) {
        restorable.put(reference, cgroups);
        return offer(reference, spec);
    }

    /** {@code reference} names a checkpoint of {@code spec}'s job from now on (restoring it fails: no CRIU here). */
    public FakeCheckpoints offer(String reference, JobSpec spec) {
        offered.put(reference, spec);
        return this;
    }

    @Override
    public Restorable prepare(String reference, int uid) throws IOException {
        if (refusals.containsKey(reference)) throw new IOException(refusals.get(reference));
        JobSpec spec = offered.get(reference);
        if (spec == null) throw new NoCheckpoint("no checkpoint " + reference + " at home " + node);
        return new Restorable() {
            @Override
            public JobSpec spec() {
                return spec;
            }

            @Override
            public String name() {
                return reference;
            }

            @Override
            public Job restore() throws IOException {
                Path cgroups = restorable.get(reference);
                if (cgroups == null) throw new IOException("cannot restart from checkpoint " + reference + ": no CRIU in this test");
                Path cgroup = Files.createTempDirectory(cgroups, "job-");
                Process sleep = new ProcessBuilder("sleep", "120").start();
                Files.writeString(cgroup.resolve("cgroup.procs"), sleep.pid() + "\n");
                return new Job(spec, sleep, cgroup, null);
            }
        };
    }

    /** A job {@code id} of {@code uid} running in {@code table}: a sleep, its output going nowhere. */
    public static Job sleeping(JobTable table, String id, int uid) throws IOException {
        Process sleep = new ProcessBuilder("sleep", "120").start();
        Job job = new Job(JobSpec.fresh(id, table.self(), uid, uid, List.of("sleep", "120"), "2026-12-04T11:00:00Z", false, false, "home", "test"),
                sleep, null, new JobSink() {
                    @Override public void output(MessageType kind, byte[] b, int n) {}
                    @Override public void exited(int status) {}
                    @Override public void moved() {}
                });
        table.adopt(job);
        return job;
    }

    /** Ends the sleeps of {@link #sleeping} in {@code table}. */
    public static void stopSleeping(JobTable table) throws InterruptedException {
        for (Job j : table.jobs()) {
            j.launcher().destroy();
            j.launcher().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
