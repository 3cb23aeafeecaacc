package dev.mosvm.agent.migrate;

import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.jobs.MemoryArrival;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Lazy restore from images already on the target: CRIU's lazy-pages daemon serves the restored
 * job's page faults and copies the rest of its memory in behind it from the local images
 * (userfaultfd), so the job resumes without waiting for its memory to be copied into it. Every
 * page is on this node before the job resumes (no page is fetched from the source), so a
 * source that dies after the commit takes nothing of the job with it. The daemon exits once
 * every page is in; the images must stay until then. It outlives the agent
 * ({@link MemoryArrival}: an agent that restarts meanwhile follows it on).
 */
final class LazyPages {
    private static final Logger LOG = Logger.getLogger(LazyPages.class.getName());
    static final String SOCKET = "lazy-pages.socket";
    /** What the wrapper and the daemon say on their standard output and error (the daemon logs to lazy-pages.log). */
    static final String WRAPPER_OUTPUT = "lazy-pages.out";
    /**
     * Runs the daemon ($2: the round's directory) and writes its exit status beside it when it
     * ends. First it keeps the kernel's OOM killer off itself and the daemon (killed before every
     * page is in, the userfaultfd closes and the job reads zeros where its memory was), and
     * leaves the agent's cgroup for its own ($1, if any), so stopping the agent does not end it.
     */
    static final String WRAPPER = """
            echo -1000 > /proc/self/oom_score_adj || echo "mosvm: the OOM killer may end the lazy-pages daemon" >&2
            if [ -n "$1" ]; then echo $$ > "$1/cgroup.procs" || echo "mosvm: the lazy-pages daemon stays in the agent's cgroup and ends with it" >&2; fi
            criu lazy-pages -D "$2" -o lazy-pages.log
            echo $? > "$2/%1$s.part" && mv "$2/%1$s.part" "$2/%1$s"
            """.formatted(MemoryArrival.STATUS);

    private LazyPages() {}

    /**
     * Makes the round's process images self-contained where it can ({@link #flatten}) and
     * starts the daemon for it; returns once the daemon waits for the restore.
     *
     * @param cgroup where the daemon runs, out of the agent's cgroup; null for none
     */
    static MemoryArrival start(String job, Path round, Path cgroup) throws IOException {
        int[] flat = flatten(round);
        if (flat[1] > 0) LOG.info("lazy restore: " + flat[0] + " of " + flat[1] + " pre-copied process images made self-contained");
        Process p = null;
        MemoryArrival lazy = null;
        try {
            p = new ProcessBuilder("/bin/sh", "-c", WRAPPER, "lazy-pages", cgroup == null ? "" : cgroup.toString(), round.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(round.resolve(WRAPPER_OUTPUT).toFile()).start();
            lazy = MemoryArrival.started(job, round, cgroup, p.toHandle());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(round.resolve(SOCKET))) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the lazy-pages daemon did not start: " + Criu.firstError(round.resolve("lazy-pages.log"),
                            firstLine(round.resolve(WRAPPER_OUTPUT), "no log")));
                }
                Thread.sleep(10);
            }
            if (cgroup != null && !Files.readString(cgroup.resolve("cgroup.procs")).contains(String.valueOf(p.pid()))) {
                LOG.warning("the lazy-pages daemon for " + job + " stays in the agent's cgroup: an agent restart before it ends loses the job ("
                        + firstLine(round.resolve(WRAPPER_OUTPUT), "no reason given") + ")");
            }
            return lazy;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            JobTable.removeCgroup(cgroup);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    /** The first line of what the wrapper said, or {@code fallback}. */
    private static String firstLine(Path file, String fallback) {
        try (java.util.stream.Stream<String> lines = Files.lines(file)) {
            return lines.map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(fallback);
        } catch (IOException | java.io.UncheckedIOException e) {
            return fallback;
        }
    }

    /**
     * Makes each process image of the round self-contained where {@link FlatImage} has a plan
     * for it (its pre-copied pages copied in place into the first round's pages file, which then
     * becomes the round's); the others are left for CRIU to restore as usual. Returns how many
     * were made self-contained, of how many that had parent images.
     */
    static int[] flatten(Path round) throws IOException {
        int flat = 0, chained = 0;
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> maps = Files.newDirectoryStream(round, "pagemap-[0-9]*.img")) {
            for (Path map : maps) all.add(map);
        }
        all.sort(null); // listed whole first: the loop replaces pagemaps and moves pages files into the directory it lists (NFS may list again)
        for (Path map : all) {
            List<Path> dirs = new ArrayList<>();
            for (Path dir = round; Files.exists(dir.resolve(map.getFileName())); dir = dir.resolve("parent")) dirs.add(dir);
            if (dirs.size() < 2) continue;
            List<Pagemap> images = new ArrayList<>();
            for (Path dir : dirs) images.add(Pagemap.read(dir.resolve(map.getFileName())));
            // a process that holds every page itself (it exec'd, or its pid is another's now) needs no parent
            if (images.get(0).entries().stream().noneMatch(e -> e.has(Pagemap.PE_PARENT))) continue;
            chained++;
            List<FlatImage.Copy> plan = FlatImage.plan(images.stream().map(Pagemap::entries).toList());
            if (plan == null) {
                LOG.info(map.getFileName() + ": its pages changed since the first round; restored the usual way");
                continue;
            }
            Pagemap base = images.get(images.size() - 1);
            Path basePages = pagesFile(dirs.get(dirs.size() - 1), base);
            try (FileChannel to = FileChannel.open(basePages, StandardOpenOption.WRITE)) {
                for (FlatImage.Copy c : plan) ImageFold.copy(pagesFile(dirs.get(c.image()), images.get(c.image())), to, c);
            }
            Pagemap top = images.get(0);
            Files.move(basePages, pagesFile(round, top), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            top.withEntries(base.entries()).write(map);
            flat++;
        }
        return new int[] {flat, chained};
    }

    private static Path pagesFile(Path dir, Pagemap map) {
        return dir.resolve(map.pagesFileName());
    }
}
