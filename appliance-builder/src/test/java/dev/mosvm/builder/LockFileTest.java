package dev.mosvm.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockFileTest {
    @TempDir
    Path dir;

    @Test
    void anotherProcessWaitsUntilTheLockIsReleased() throws Exception {
        Path file = dir.resolve("sub/.key.lock");
        Process other;
        try (LockFile held = LockFile.acquire(file)) {
            other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), TakeAndRelease.class.getName(), file.toString()).start();
            assertFalse(other.waitFor(3, TimeUnit.SECONDS), "the other process got the lock while this one held it");
        }
        assertTrue(other.waitFor(30, TimeUnit.SECONDS), "the other process did not get the lock once it was released");
        assertEquals(0, other.exitValue());
    }

    @Test
    void closingLeavesNoDescriptorOpen() throws Exception {
        File fds = new File("/proc/self/fd");
        int before = fds.list().length;
        for (int i = 0; i < 50; i++) {
            LockFile.acquire(dir.resolve(".x.lock")).close();
        }
        assertTrue(fds.list().length <= before + 2, "descriptors before " + before + ", after 50 locks " + fds.list().length);
    }

    /** Another process: takes the lock (waiting for it) and lets it go. */
    public static final class TakeAndRelease {
        public static void main(String[] args) throws Exception {
            LockFile.acquire(Path.of(args[0])).close();
        }
    }
}
