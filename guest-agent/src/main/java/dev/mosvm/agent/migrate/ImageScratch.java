package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Where migration images are staged: a tmpfs of its own, so pages go from memory to the
 * network and back to memory without touching a disk, and big jobs are not limited by /run's
 * small share of RAM. tmpfs takes memory only for what is in it.
 */
public final class ImageScratch {
    private ImageScratch() {}

    /** Below this much room a round is refused rather than started (it would fill the tmpfs at once). */
    static final long MIN_ROUND_BYTES = 8L << 20;

    /**
     * How much the next round of an incoming job may add to its images and still leave room to
     * restore them: the job's restored memory and its images exist at once until the restore
     * ends, and {@code reserveKb} stays free for the agent and the node's own work. Pure.
     *
     * @param memAvailableKb MemAvailable now (staged images already count as used)
     * @param stagedBytes    this job's images staged so far
     */
    static long roomForNextRound(long memAvailableKb, long stagedBytes, long reserveKb) {
        return Math.max(0, (memAvailableKb * 1024 - reserveKb * 1024 - stagedBytes) / 2);
    }

    /**
     * Caps the tmpfs at what it holds now plus {@code moreBytes}, so a round that would need
     * more fails on a full file system (the migration then resumes the job on its source)
     * instead of the node running out of memory and its OOM killer taking the agent or a job.
     * Only where {@code dir} is a tmpfs of its own (the appliance); elsewhere nothing.
     */
    static void allowOnly(Path dir, long moreBytes) throws IOException {
        if (!isOwnTmpfs(dir)) return;
        java.nio.file.FileStore fs = Files.getFileStore(dir);
        long used = fs.getTotalSpace() - fs.getUnallocatedSpace();
        run("mount", "-o", "remount,size=" + (used + moreBytes), dir.toString());
    }

    private static boolean isOwnTmpfs(Path dir) throws IOException {
        return Files.readString(Path.of("/proc/mounts")).contains(" " + dir + " tmpfs ");
    }

    private static void run(String... cmd) throws IOException {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /**
     * Removes the images of moves a previous agent left unfinished ({@code in-JOB}, {@code
     * out-JOB}): nothing resumes them, and they hold memory in the tmpfs. Those in {@code keep}
     * stay: a job adopted here still has its memory copied in from them (a lazy restore's daemon
     * outlived the agent). Returns what it removed.
     */
    public static java.util.List<String> clearUnfinished(Path dir, java.util.Set<Path> keep) throws IOException {
        java.util.List<String> cleared = new java.util.ArrayList<>();
        if (!Files.isDirectory(dir)) return cleared;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!Files.isDirectory(p) || !(name.startsWith(dev.mosvm.agent.jobs.MemoryArrival.INCOMING_PREFIX) || name.startsWith("out-"))) continue;
                if (keep.contains(p.toAbsolutePath().normalize())) continue;
                TargetMigration.deleteTree(p);
                cleared.add(name);
            }
        }
        return cleared;
    }

    public static Path mount(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (isOwnTmpfs(dir)) return dir;
        run("mount", "-t", "tmpfs", "-o", "mode=0700,size=80%", "mosvm-images", dir.toString());
        return dir;
    }
}
