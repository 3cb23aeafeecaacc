package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LaunchCommandTest {
    @Test
    void aJobStartsThroughTheLauncherWithItsCgroupInitDirectoryAndUser() {
        assertEquals(List.of("/usr/local/bin/mosvm-launch", "/sys/fs/cgroup/mosvm/job-x", "/run/mosvm/init/x", "1000", "1000", "prog", "arg"),
                LaunchCommand.of(LaunchCommand.LAUNCHER, List.of("prog", "arg"), 1000, 1000, "/sys/fs/cgroup/mosvm/job-x", "/run/mosvm/init/x"));
    }

    @Test
    void noCgroupOrInitDirectoryIsADash() {
        assertEquals(List.of("/x/launch", "-", "-", "0", "0", "prog"), LaunchCommand.of("/x/launch", List.of("prog"), 0, 0, null, null));
    }

    @Test
    void aJobDirectoryComesFirst() {
        assertEquals(List.of("/x/launch", "--job-dir", "/run/mosvm/jobs/x", "-", "-", "0", "0", "prog"),
                LaunchCommand.of("/x/launch", List.of("prog"), 0, 0, null, null, "/run/mosvm/jobs/x"));
    }

    @Test
    void theHomesTreeFollowsTheJobDirectory() {
        assertEquals(List.of("/x/launch", "--job-dir", "/run/mosvm/jobs/x", "--root", "/pool/.homes/ca", "-", "-", "0", "0", "prog"),
                LaunchCommand.of("/x/launch", List.of("prog"), 0, 0, null, null, "/run/mosvm/jobs/x", "/pool/.homes/ca"));
    }

    @Test
    void noProgramIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> LaunchCommand.of(LaunchCommand.LAUNCHER, List.of(), 0, 0, null, null));
    }
}
