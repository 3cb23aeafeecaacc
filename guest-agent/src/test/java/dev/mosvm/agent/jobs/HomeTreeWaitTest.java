package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's start waits, bounded, for its home's tree to be whole (JobTable.treeReady): /proc and then /sys are put on it last. */
class HomeTreeWaitTest {
    @TempDir
    Path tree;

    @Test
    void aTreeMadeWhileTheStartWaitsIsTaken() throws Exception {
        Thread maker = new Thread(() -> {
            try {
                Thread.sleep(300);
                Files.createDirectories(tree.resolve("proc/self"));
                Thread.sleep(300);
                Files.createDirectories(tree.resolve("sys/kernel"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        maker.start();
        assertTrue(JobTable.treeReady(tree, 10_000));
        maker.join();
    }

    @Test
    void aTreeNeverMadeIsRefusedOnceTheWaitIsOver() throws Exception {
        Files.createDirectories(tree.resolve("proc/self")); // half made: no /sys yet
        long t0 = System.nanoTime();
        assertFalse(JobTable.treeReady(tree, 400));
        assertTrue(System.nanoTime() - t0 >= 400_000_000L, "it waited the time given");
    }
}
