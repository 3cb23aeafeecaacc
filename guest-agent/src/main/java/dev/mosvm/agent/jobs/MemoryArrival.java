package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The daemon that copies a lazily restored job's memory in behind it (CRIU's lazy-pages
 * daemon, started by {@code migrate.LazyPages}), as the job's agent follows it. Until the
 * daemon ends, the job's memory is arriving and the images it reads are that memory.
 *
 * <p>The daemon outlives the agent: it runs under a small shell wrapper that leaves the
 * agent's cgroup (so stopping the agent's unit does not kill it), writes its own pid and start
 * time beside the images ({@link #PID}), and the daemon's exit status when it ends
 * ({@link #STATUS}). An agent that restarts meanwhile finds the daemon still running, or how it
 * ended, and adopts the job ({@link Adoption}): the restore completes, and nothing of the job's
 * memory is lost to the restart.
 */
public final class MemoryArrival {
    private static final Logger LOG = Logger.getLogger(MemoryArrival.class.getName());
    /** The daemon's exit status, written by its wrapper when it ends: 0 once every page is in. */
    public static final String STATUS = "lazy-pages.status";
    /** The wrapper's pid and start time (clock ticks after boot), told apart from a later process with its pid. */
    public static final String PID = "lazy-pages.pid";

    /** How the directory of an incoming move's images is named, followed by the job's id (migrate.TargetMigration). */
    public static final String INCOMING_PREFIX = "in-";

    private final String job;
    private final Path round;
    private final Path cgroup;
    private final ProcessHandle wrapper;

    private MemoryArrival(String job, Path round, Path cgroup, ProcessHandle wrapper) {
        this.job = job;
        this.round = round;
        this.cgroup = cgroup;
        this.wrapper = wrapper;
    }

    /**
     * Follows the wrapper just started for the images in {@code round}, and notes its pid there
     * for an agent that restarts before it ends.
     *
     * @param cgroup the cgroup the wrapper moves itself into, removed once it ends; null for none
     */
    public static MemoryArrival started(String job, Path round, Path cgroup, ProcessHandle wrapper) throws IOException {
        Path part = round.resolve(PID + ".part");
        Files.writeString(part, wrapper.pid() + " " + JobRecords.startTime(wrapper.pid()) + "\n");
        Files.move(part, round.resolve(PID), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return new MemoryArrival(job, round, cgroup, wrapper);
    }

    /** The daemon a previous agent started for the images in {@code round}: running still, or ended ({@link #complete} says how). */
    public static MemoryArrival left(String job, Path round, Path cgroup) {
        ProcessHandle wrapper = null;
        try {
            String[] f = Files.readString(round.resolve(PID)).trim().split(" ");
            long pid = Long.parseLong(f[0]);
            long start = Long.parseLong(f[1]);
            if (start >= 0 && JobRecords.startTime(pid) == start) wrapper = ProcessHandle.of(pid).orElse(null);
        } catch (IOException | RuntimeException e) {
            LOG.fine("no running lazy-pages daemon noted in " + round + ": " + e.getMessage());
        }
        return new MemoryArrival(job, round, cgroup, wrapper);
    }

    /** The images the daemon copies the job's memory from. */
    public Path round() {
        return round;
    }

    public boolean running() {
        return wrapper != null && wrapper.isAlive();
    }

    /** Whether the daemon has ended after copying every page in (its wrapper wrote status 0). */
    public boolean complete() {
        try {
            return Files.readString(round.resolve(STATUS)).trim().equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    /** Why the daemon ended before every page was in, for a log line. */
    String failure() {
        try {
            return "the lazy-pages daemon ended with status " + Files.readString(round.resolve(STATUS)).trim() + " (see " + round.resolve("lazy-pages.log") + ")";
        } catch (IOException e) {
            return "the lazy-pages daemon ended without a status (killed)";
        }
    }

    /** Runs {@code then} with {@link #complete} once the daemon has ended (at once if it has). */
    public void whenDone(Consumer<Boolean> then) {
        if (wrapper == null) {
            then.accept(complete());
            return;
        }
        wrapper.onExit().thenRun(() -> then.accept(complete()));
    }

    /**
     * Follows the daemon of {@code job} here until it ends, then: every page in, the job's
     * memory has arrived; else the job would read zeros where pages are missing, so it is
     * killed rather than left to run on wrong (its caller sees it killed, and the log says
     * why). Either way the images and the daemon's cgroup go, after the job's record stops
     * naming them (an agent restarting in between finds a record it can act on).
     */
    public void follow(Job job) {
        whenDone(complete -> {
            if (complete || !job.launcher().isAlive()) { // a job that ended needs none of it
                job.memoryArriving(null);
            } else {
                LOG.severe("job " + job.id() + " is killed: " + failure() + " before all its memory was in, and it would read zeros there");
                long init = job.initPid();
                if (init > 0) ProcessHandle.of(init).ifPresent(ProcessHandle::destroyForcibly);
            }
            deleteImages();
        });
    }

    /** Ends the daemon and removes what it read (the restore failed, or its job never ran here). */
    public void discard() {
        stop();
        deleteImages();
    }

    /** Ends the daemon and its wrapper. */
    private void stop() {
        if (wrapper == null) return;
        wrapper.descendants().forEach(ProcessHandle::destroyForcibly);
        wrapper.destroyForcibly();
    }

    /** Removes the move's images (the round and its parent rounds: the directory holding them) and the daemon's cgroup. */
    void deleteImages() {
        JobTable.removeCgroup(cgroup);
        Path dir = round.getParent();
        // the path came from a record on disk: only ever this job's incoming move's own directory goes
        if (dir == null || dir.getFileName() == null || !dir.getFileName().toString().equals(INCOMING_PREFIX + job)) {
            LOG.warning("the images of job " + job + "'s lazy restore in " + round + " are not its incoming move's directory: left in place");
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot remove the images of a lazy restore in " + dir + ": " + e.getMessage());
        }
    }
}
