package dev.mosvm.agent.migrate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * every page is in; the images must stay until then.
 */
final class LazyPages implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LazyPages.class.getName());
    static final String SOCKET = "lazy-pages.socket";
    private final Process daemon;

    private LazyPages(Process daemon) {
        this.daemon = daemon;
    }

    /**
     * Marks the round's pre-copied pages lazy ({@link LazyParentPages}) and starts the daemon
     * for it; returns once the daemon waits for the restore.
     */
    static LazyPages start(Path round) throws IOException {
        markParentPagesLazy(round);
        Process p = new ProcessBuilder("criu", "lazy-pages", "-D", round.toString(), "-o", "lazy-pages.log")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        LazyPages lazy = new LazyPages(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(round.resolve(SOCKET))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                lazy.close();
                throw new IOException("the lazy-pages daemon did not start: " + Criu.firstError(round.resolve("lazy-pages.log"), "no log"));
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                lazy.close();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        return lazy;
    }

    /** Runs {@code then} once the daemon has copied every page in (or ended otherwise). */
    void whenDone(Runnable then) {
        daemon.onExit().thenRun(() -> {
            if (daemon.exitValue() != 0) LOG.warning("lazy-pages daemon ended with " + daemon.exitValue());
            then.run();
        });
    }

    @Override
    public void close() {
        daemon.destroyForcibly();
    }

    /** Rewrites every pagemap of the round so pages its parents hold are restored lazily where CRIU allows. */
    static void markParentPagesLazy(Path round) throws IOException {
        try (DirectoryStream<Path> maps = Files.newDirectoryStream(round, "pagemap-[0-9]*.img")) {
            for (Path map : maps) {
                Pagemap top = Pagemap.read(map);
                List<List<Pagemap.Entry>> parents = new ArrayList<>();
                for (Path dir = round.resolve("parent"); Files.exists(dir.resolve(map.getFileName())); dir = dir.resolve("parent")) {
                    parents.add(Pagemap.read(dir.resolve(map.getFileName())).entries());
                }
                if (!parents.isEmpty()) top.withEntries(LazyParentPages.mark(top.entries(), parents)).write(map);
            }
        }
    }
}
