package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.MemoryArrival;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wrapper the lazy-pages daemon runs under, with a stand-in for criu: it leaves the agent's
 * cgroup for its own before the daemon starts, and leaves the daemon's exit status where an
 * agent that restarts meanwhile finds it ({@link MemoryArrival}).
 */
class LazyPagesTest {
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 137})
    void theWrapperLeavesTheAgentsCgroupAndWritesTheDaemonsStatus(int status, @TempDir Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path round = Files.createDirectories(dir.resolve("in-a.1").resolve("2"));
        Path cgroup = Files.createDirectories(dir.resolve("lazy-a.1"));
        Files.writeString(cgroup.resolve("cgroup.procs"), "");
        // the stand-in checks it was asked for the daemon on the round, and that its wrapper had left the agent's cgroup first
        Path criu = bin.resolve("criu");
        Files.writeString(criu, "#!/bin/sh\n[ \"$1 $2 $3\" = \"lazy-pages -D " + round + "\" ] || exit 99\n"
                + "[ -s " + cgroup.resolve("cgroup.procs") + " ] || exit 98\nexit " + status + "\n");
        Files.setPosixFilePermissions(criu, PosixFilePermissions.fromString("rwxr-xr-x"));

        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", LazyPages.WRAPPER, "lazy-pages", cgroup.toString(), round.toString())
                .redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process wrapper = pb.start();
        assertTrue(wrapper.waitFor(30, TimeUnit.SECONDS));
        assertEquals(String.valueOf(wrapper.pid()), Files.readString(cgroup.resolve("cgroup.procs")).trim(), "it moved itself, and so the daemon");
        assertEquals(String.valueOf(status), Files.readString(round.resolve(MemoryArrival.STATUS)).trim(),
                new String(wrapper.getInputStream().readAllBytes()));
        assertEquals(status == 0, MemoryArrival.left("a.1", round, null).complete());
    }
}
