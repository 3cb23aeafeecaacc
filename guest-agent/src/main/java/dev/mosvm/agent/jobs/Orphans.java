package dev.mosvm.agent.jobs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * The jobs a previous agent on this node left behind that this one could not adopt
 * ({@link Adoption}), ended before the agent serves anyone. Nothing can reach them: a job
 * that never writes would run on unmanaged, one a move left frozen would stay frozen, and
 * their homes find them gone ({@code RunnerAsk}) and recover them from a checkpoint. Each job's
 * cgroup is killed whole (cgroup v2 {@code cgroup.kill}, which also ends a frozen cgroup's
 * processes; else SIGKILL to each pid after thawing it), emptied, and removed with its init's
 * working directory.
 */
public final class Orphans {
    private static final Logger LOG = Logger.getLogger(Orphans.class.getName());
    /** Looks at a killed cgroup's processes before it is left in place (the kernel reaps them within milliseconds). */
    static final int LOOKS = 100;
    static final long LOOK_MILLIS = 50;

    /** The kernel as the reaping needs it, beyond the cgroup's files. */
    interface Kernel {
        /** SIGKILL to one process. */
        void kill(long pid);

        /** Waits a moment for killed processes to go. */
        void pause(long millis) throws InterruptedException;

        /** rmdir of an emptied cgroup. */
        void remove(Path cgroup) throws IOException;
    }

    static final Kernel REAL = new Kernel() {
        @Override
        public void kill(long pid) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }

        @Override
        public void pause(long millis) throws InterruptedException {
            Thread.sleep(millis);
        }

        @Override
        public void remove(Path cgroup) throws IOException {
            Files.deleteIfExists(cgroup);
        }
    };

    private final Path cgroupRoot;
    private final Path initRoot;
    private final Kernel kernel;

    /**
     * @param cgroupRoot where jobs get their cgroups ({@code job-ID}), or null for none
     * @param initRoot   where jobs' inits get their working directories, or null for none
     */
    public Orphans(Path cgroupRoot, Path initRoot) {
        this(cgroupRoot, initRoot, REAL);
    }

    Orphans(Path cgroupRoot, Path initRoot, Kernel kernel) {
        this.cgroupRoot = cgroupRoot;
        this.initRoot = initRoot;
        this.kernel = kernel;
    }

    /** Ends every job left here, logging one line for each; returns their ids. */
    public List<String> reap() throws InterruptedException {
        return reap(Set.of());
    }

    /** Ends every job left here but those in {@code adopted} (this agent took them on), logging one line for each; returns their ids. */
    public List<String> reap(Set<String> adopted) throws InterruptedException {
        TreeSet<String> ids = new TreeSet<>();
        for (Path cgroup : entries(cgroupRoot, "job-*")) {
            String id = cgroup.getFileName().toString().substring("job-".length());
            if (adopted.contains(id)) continue;
            ids.add(id);
            int killed = kill(cgroup);
            boolean removed = emptyAndRemove(cgroup);
            removeInitDir(id);
            LOG.warning("job " + id + " was left by the agent that ran before: its " + killed + " processes are killed"
                    + (removed ? "" : ", but its cgroup " + cgroup + " still holds some and stays")
                    + "; its home finds it gone and recovers it from its checkpoint or tells its caller");
        }
        for (Path cgroup : entries(cgroupRoot, JobTable.LAZY_CGROUP_PREFIX + "*")) {
            String id = cgroup.getFileName().toString().substring(JobTable.LAZY_CGROUP_PREFIX.length());
            if (adopted.contains(id)) { // its job's memory may still arrive (MemoryArrival follows the daemon); an empty one is left over
                try {
                    kernel.remove(cgroup);
                } catch (IOException e) {
                    // its daemon runs on in it
                }
                continue;
            }
            int killed = kill(cgroup);
            emptyAndRemove(cgroup);
            if (killed > 0) LOG.warning("the lazy restore of job " + id + ", not adopted, is ended (" + killed + " processes)");
        }
        for (Path init : entries(initRoot, "*")) {
            String id = init.getFileName().toString();
            if (!adopted.contains(id) && ids.add(id)) removeInitDir(id); // a job with no cgroup of its own left its init's directory
        }
        return new ArrayList<>(ids);
    }

    /** Kills every process in {@code cgroup}; returns how many it held. */
    private int kill(Path cgroup) {
        List<Long> pids = procs(cgroup);
        try {
            Files.writeString(cgroup.resolve("cgroup.kill"), "1");
            return pids.size();
        } catch (IOException e) {
            // a kernel before 5.14 has no cgroup.kill: thaw it (a frozen process takes SIGKILL only once thawed) and kill each
        }
        try {
            Files.writeString(cgroup.resolve("cgroup.freeze"), "0");
        } catch (IOException e) {
            // not frozen, or no freezer
        }
        for (long pid : pids) kernel.kill(pid);
        return pids.size();
    }

    private boolean emptyAndRemove(Path cgroup) throws InterruptedException {
        for (int i = 0; i < LOOKS; i++) {
            List<Long> left = procs(cgroup);
            if (left.isEmpty()) {
                try {
                    kernel.remove(cgroup);
                    return true;
                } catch (IOException e) {
                    // its last processes are still going
                }
            } else if (i % 20 == 19) {
                kill(cgroup); // a fork that raced the kill
            }
            kernel.pause(LOOK_MILLIS);
        }
        return false;
    }

    private static List<Long> procs(Path cgroup) {
        List<Long> pids = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(cgroup.resolve("cgroup.procs"))) if (!line.isBlank()) pids.add(Long.parseLong(line.strip()));
        } catch (IOException | NumberFormatException e) {
            // gone already
        }
        return pids;
    }

    private void removeInitDir(String id) {
        if (initRoot == null) return;
        try {
            Files.deleteIfExists(initRoot.resolve(id)); // empty: CRIU's parasite removes its mount point as it detaches
        } catch (IOException e) {
            LOG.warning("cannot remove the init directory of job " + id + ": " + e.getMessage());
        }
    }

    private static List<Path> entries(Path dir, String glob) {
        List<Path> found = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) return found;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
            for (Path p : s) if (Files.isDirectory(p)) found.add(p);
        } catch (IOException e) {
            LOG.warning("cannot look for jobs left in " + dir + ": " + e.getMessage());
        }
        found.sort(null);
        return found;
    }
}
