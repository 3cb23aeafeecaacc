package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restarted agent ends the jobs its predecessor left: killed whole, their cgroups and init directories gone, one line each. */
class OrphansTest {
    @TempDir
    Path dir;

    /** The kernel as far as the test plays it: a killed cgroup empties at the next pause, SIGKILLs are noted. */
    class FakeKernel implements Orphans.Kernel {
        final List<Long> killed = new ArrayList<>();
        final Path root;

        FakeKernel(Path root) {
            this.root = root;
        }

        @Override
        public void kill(long pid) {
            killed.add(pid);
        }

        @Override
        public void pause(long millis) throws InterruptedException {
            try (var groups = Files.list(root)) {
                for (Path g : groups.toList()) {
                    Path kill = g.resolve("cgroup.kill");
                    boolean killedWhole = Files.isRegularFile(kill) && Files.readString(kill).equals("1");
                    if (killedWhole || !killed.isEmpty()) Files.writeString(g.resolve("cgroup.procs"), "");
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void remove(Path cgroup) throws IOException {
            try (var files = Files.list(cgroup)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(cgroup);
        }
    }

    Path cgroup(Path root, String name, String procs, boolean withKill) throws IOException {
        Path g = Files.createDirectories(root.resolve(name));
        Files.writeString(g.resolve("cgroup.procs"), procs);
        if (withKill) Files.writeString(g.resolve("cgroup.kill"), "");
        Files.writeString(g.resolve("cgroup.freeze"), "1");
        return g;
    }

    List<String> warnings(Runnable r) {
        List<String> lines = new ArrayList<>();
        Logger log = Logger.getLogger(Orphans.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord rec) {
                if (rec.getLevel() == Level.WARNING) lines.add(rec.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try {
            r.run();
        } finally {
            log.removeHandler(h);
        }
        return lines;
    }

    @Test
    void everyJobCgroupIsKilledWholeRemovedWithItsInitDirectoryAndNamedOnce() throws Exception {
        Path root = Files.createDirectories(dir.resolve("mosvm"));
        Path inits = Files.createDirectories(dir.resolve("init"));
        Path frozen = cgroup(root, "job-a.7", "41\n42\n", true); // a move left it frozen
        cgroup(root, "job-a.8", "", true); // its processes had ended
        Files.createDirectory(inits.resolve("a.7"));
        Files.createDirectory(inits.resolve("b.3")); // a job with no cgroup
        Files.createDirectories(root.resolve("other")); // not a job's
        FakeKernel kernel = new FakeKernel(root);
        List<String> reaped = new ArrayList<>();
        List<String> lines = warnings(() -> {
            try {
                reaped.addAll(new Orphans(root, inits, kernel).reap());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(List.of("a.7", "a.8", "b.3"), reaped);
        assertFalse(Files.exists(frozen), "killed through cgroup.kill (frozen or not), emptied and removed");
        assertFalse(Files.exists(root.resolve("job-a.8")));
        assertTrue(Files.isDirectory(root.resolve("other")), "only jobs' cgroups");
        assertEquals(List.of(), kernel.killed, "cgroup.kill ends them all: no pid is killed one by one");
        try (var left = Files.list(inits)) {
            assertEquals(0, left.count(), "init directories gone");
        }
        assertEquals(2, lines.size(), String.join("\n", lines));
        assertEquals("job a.7 was left by the agent that ran before: its 2 processes are killed; its home finds it gone and "
                + "recovers it from its checkpoint or tells its caller", lines.get(0));
    }

    @Test
    void withoutCgroupKillAFrozenCgroupIsThawedAndEachProcessKilled() throws Exception {
        Path root = Files.createDirectories(dir.resolve("mosvm"));
        Path g = cgroup(root, "job-a.9", "51\n52\n", false);
        FakeKernel kernel = new FakeKernel(root) {
            @Override
            public void remove(Path cgroup) throws IOException {
                assertEquals("0", Files.readString(cgroup.resolve("cgroup.freeze")), "thawed first");
                super.remove(cgroup);
            }
        };
        // no cgroup.kill file, and none may be made: a kernel before 5.14
        Files.createDirectory(g.resolve("cgroup.kill"));
        assertEquals(List.of("a.9"), new Orphans(root, null, kernel).reap());
        assertEquals(List.of(51L, 52L), kernel.killed);
        assertFalse(Files.exists(g));
    }

    @Test
    void aCgroupThatNeverEmptiesStaysAndTheReapingEnds() throws Exception {
        Path root = Files.createDirectories(dir.resolve("mosvm"));
        Path g = cgroup(root, "job-a.10", "61\n", true);
        Orphans.Kernel stuck = new FakeKernel(root) {
            @Override
            public void pause(long millis) {}
        };
        List<String> lines = warnings(() -> {
            try {
                assertEquals(List.of("a.10"), new Orphans(root, null, stuck).reap());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(Files.isDirectory(g));
        assertTrue(lines.get(0).contains("but its cgroup " + g + " still holds some and stays"), lines.get(0));
    }

    @Test
    void nothingToReapWithoutRoots() throws Exception {
        assertEquals(List.of(), new Orphans(null, null).reap());
        assertEquals(List.of(), new Orphans(dir.resolve("none"), dir.resolve("none")).reap());
    }
}
