package dev.mosvm.agent.migrate;

import dev.mosvm.agent.jobs.Job;
import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.wire.JobSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's images on their own, apart from a move: what checkpoints dump and restore with. A
 * migration's target restores through the same {@link #restore}, so a job comes back from a
 * checkpoint exactly as it arrives from another node.
 */
public final class JobImages {
    private JobImages() {}

    /** The pipes behind the job's standard input, output and error ("pipe:[123]", or null): a restore binds new ones in their place. */
    public static List<String> stdio(Job job) {
        long init = job.initPid();
        List<String> stdio = new ArrayList<>();
        for (int fd = 0; fd < 3; fd++) stdio.add(init < 0 ? null : Criu.pipeOf(init, fd));
        return stdio;
    }

    /**
     * Dumps the job into {@code dir} and leaves it stopped (the caller resumes it), with CRIU's
     * memory tracking on, so the next dump can send only the pages dirtied since; incremental on
     * {@code parent} (a sibling directory's name) unless that is null. Returns the bytes of memory
     * pages written. A dump that takes longer than {@code limit} (a hung criu, a home whose files
     * stopped answering) is killed, which lets the job run on: it fails with that reason.
     */
    public static long dumpStopped(Job job, Path dir, String parent, Duration limit) throws IOException {
        return dumpStoppedOn(job, dir, parent == null ? null : "../" + parent, limit);
    }

    /** As {@link #dumpStopped}, incremental on the images in {@code prevImagesDir} (relative to {@code dir}) unless that is null. */
    static long dumpStoppedOn(Job job, Path dir, String prevImagesDir, Duration limit) throws IOException {
        long init = job.initPid();
        if (init < 0) throw new IOException("job " + job.id() + " has no process to dump");
        List<String> cmd = new ArrayList<>(List.of("criu", "dump", "-t", String.valueOf(init), "-D", dir.toString(), "--track-mem",
                "--leave-stopped"));
        if (prevImagesDir != null) cmd.addAll(List.of("--prev-images-dir", prevImagesDir));
        Criu.runCommand(dir, "dump.log", cmd, null, limit);
        return Criu.pagesBytes(dir);
    }

    /** The bytes of memory pages the images in {@code dir} hold themselves. */
    public static long pagesBytes(Path dir) throws IOException {
        return Criu.pagesBytes(dir);
    }

    /** Where in a full checkpoint's directory its pre-dump goes until the dump is made whole ({@link #wholeAfterPreDump}). */
    public static final String PRE_DUMP = "pre";

    /**
     * Copies the running job's memory into {@code dir}/{@value #PRE_DUMP} (criu pre-dump: the job
     * is stopped only while its pages are drained, and runs on while they are written), with
     * memory tracking on, so a dump into {@code dir} right after holds only what the job dirtied
     * meanwhile ({@link #dumpStoppedAfterPreDump}). Returns the bytes of pages it wrote and how
     * long, in ms, it kept the job stopped (CRIU's own account: freezing and frozen).
     */
    public static long[] preDump(Job job, Path dir, Duration limit) throws IOException {
        long init = job.initPid();
        if (init < 0) throw new IOException("job " + job.id() + " has no process to dump");
        Path pre = Files.createDirectories(dir.resolve(PRE_DUMP));
        Criu.runCommand(pre, "pre-dump.log", List.of("criu", "pre-dump", "-t", String.valueOf(init), "-D", pre.toString(), "--track-mem"), null, limit);
        long stoppedMillis;
        try {
            CriuStats stats = CriuStats.ofDump(pre);
            stoppedMillis = (stats.freezingMicros() + stats.frozenMicros()) / 1000;
        } catch (IOException e) {
            stoppedMillis = -1; // no account: the caller says so
        }
        return new long[] {Criu.pagesBytes(pre), stoppedMillis};
    }

    /** The dump after a {@link #preDump} into the same {@code dir}: only the pages dirtied since, the job left stopped. */
    public static long dumpStoppedAfterPreDump(Job job, Path dir, Duration limit) throws IOException {
        return dumpStoppedOn(job, dir, PRE_DUMP, limit);
    }

    /**
     * Makes a dump taken after a {@link #preDump} whole: the pre-dump's pages files, with every
     * page dirtied since written over its old copy, become the dump's ({@link LazyPages#flatten},
     * {@link FlatImage}), and the pre-dump and the link to it go, so the directory holds one full
     * checkpoint like any other. Fails, changing nothing a full dump needs, when a process mapped
     * or dropped memory in between (its pages would need the pre-dump still).
     */
    public static void wholeAfterPreDump(Path dir) throws IOException {
        int[] flat = LazyPages.flatten(dir);
        if (flat[0] < flat[1]) {
            throw new IOException((flat[1] - flat[0]) + " of its " + flat[1] + " processes mapped or dropped memory between the pre-dump and the dump");
        }
        Files.deleteIfExists(dir.resolve("parent"));
        TargetMigration.deleteTree(dir.resolve(PRE_DUMP));
        if (Files.exists(dir.resolve(PRE_DUMP))) throw new IOException("its pre-dump in " + dir.resolve(PRE_DUMP) + " cannot be removed");
    }

    /**
     * Bytes of stdout and stderr a stopped job has written, counted from its start: what this
     * node read of it, and what waits in its pipes (read later, and sent home before the job's
     * next copy sends anything). Sampled until no read happened in between.
     */
    public static long[] writtenByStopped(Job job) throws IOException {
        for (int tries = 0; ; tries++) {
            long[] before = {job.readSoFar(0), job.readSoFar(1)};
            long[] unread = {unreadOutput(job, 1), unreadOutput(job, 2)};
            if (before[0] == job.readSoFar(0) && before[1] == job.readSoFar(1)) return new long[] {before[0] + unread[0], before[1] + unread[1]};
            if (tries > 200) throw new IOException("the output of job " + job.id() + " is still being read");
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Bytes written into the job's pipe at {@code fd} (1 or 2) not yet read by this agent. */
    public static long unreadOutput(Job job, int fd) throws IOException {
        return Criu.unreadPipeBytes(job.initPid(), fd);
    }

    /**
     * Restores a job from {@code images} under the restore supervisor, stopped, its standard
     * streams bound to the supervisor's ({@code stdio}: the pipes they replace); returns it once
     * CRIU has handed it over, not yet in the table. {@code scratch} takes the supervisor's
     * notes and the pid file, {@code workDir} CRIU's log (a checkpoint's images stay untouched).
     */
    public static Job restore(JobTable table, JobSpec spec, List<String> stdio, Path scratch, Path images, Path workDir, boolean lazily)
            throws IOException {
        return restore(table, spec, stdio, scratch, images, workDir, lazily, Duration.ofMinutes(5));
    }

    /** As above; a restore that has not handed the job over within {@code limit} is stopped and fails. */
    public static Job restore(JobTable table, JobSpec spec, List<String> stdio, Path scratch, Path images, Path workDir, boolean lazily,
                              Duration limit) throws IOException {
        Path cgroup = table.cgroupFor(spec); // CRIU puts the tasks back into the same-named cgroup
        table.initDirFor(spec.id()); // and the init back into its directory, by path
        Path jobDir = table.jobDirFor(spec.id()); // so an agent that restarts adopts the job
        Files.createDirectories(scratch);
        List<String> cmd = new ArrayList<>(List.of(Criu.RESTORE_JOB));
        if (jobDir != null) cmd.addAll(List.of("--job-dir", jobDir.toString()));
        cmd.addAll(List.of(scratch.toString(), "criu", "restore", "-D", images.toString(),
                "-W", workDir.toString(), "--restore-detached", "--restore-sibling", "--leave-stopped", "--pidfile",
                scratch.resolve("restored.pid").toString(), "-o", "restore.log"));
        if (lazily) cmd.add("--lazy-pages");
        for (int fd = 0; fd < 3; fd++) {
            String pipe = stdio == null || stdio.size() <= fd ? null : stdio.get(fd);
            if (pipe != null && pipe.matches("pipe:\\[[0-9]+\\]")) cmd.addAll(List.of("--inherit-fd", "fd[" + fd + "]:" + pipe));
        }
        Process p = new ProcessBuilder(cmd).start();
        Path ok = scratch.resolve("restored");
        Path failed = scratch.resolve("failed");
        long deadline = System.nanoTime() + limit.toNanos();
        while (!Files.exists(ok)) {
            boolean late = System.nanoTime() > deadline;
            if (Files.exists(failed) || !p.isAlive() || late) {
                if (late) p.descendants().forEach(ProcessHandle::destroyForcibly); // a hung criu, and what it restored so far
                p.destroyForcibly();
                JobTable.removeCgroup(cgroup);
                table.removeInitDir(spec.id());
                table.removeJobDir(spec.id());
                if (late) throw new IOException("criu restore did not finish within " + limit.toSeconds() + " s: stopped");
                throw new IOException(Criu.firstError(workDir.resolve("restore.log"), "the restore supervisor gave up"));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted");
            }
        }
        return table.restoredJob(spec, p, cgroup, jobDir);
    }
}
