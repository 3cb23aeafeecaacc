package dev.mosvm.agent.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LaunchCommandTest {
    @Test
    void aJobStartsWithDefaultSignalsInItsCgroupPidNamespaceAndSessionUnderTiniAsTheUser() {
        assertEquals(List.of("/usr/bin/env", "--default-signal", "/bin/sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"",
                "/sys/fs/cgroup/mosvm/job-x", "/usr/bin/unshare", "--pid", "--fork", "/usr/bin/setsid", "/usr/bin/tini", "--",
                "/usr/bin/setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "--", "prog", "arg"),
                LaunchCommand.of(List.of("prog", "arg"), 1000, 1000, "/sys/fs/cgroup/mosvm/job-x"));
    }

    @Test
    void rootWithoutACgroupSkipsThoseSteps() {
        assertEquals(List.of("/usr/bin/env", "--default-signal", "/usr/bin/unshare", "--pid", "--fork", "/usr/bin/setsid", "/usr/bin/tini",
                "--", "prog"), LaunchCommand.of(List.of("prog"), 0, 0, null));
    }

    @Test
    void noProgramIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> LaunchCommand.of(List.of(), 0, 0, null));
    }
}
