package dev.mosvm.manager.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.manager.instance.InstanceLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `mosvm ssh` shares one connection per instance, through a socket in the instance directory, when its path fits. */
class SharedSshConnectionTest {
    @Test
    void aSocketInTheInstanceDirectoryThatGivesUpOnADeadGuest() {
        List<String> opts = ShellAccess.sharedConnection(new InstanceLayout(Path.of("/tmp/mosvm-home/demo-a")));
        assertTrue(opts.contains("ControlPath=/tmp/mosvm-home/demo-a/ssh.sock"), opts.toString());
        assertTrue(opts.contains("ControlMaster=auto") && opts.contains("ServerAliveInterval=5"), opts.toString());
    }

    @Test
    void noSharingWhereTheSocketPathWouldBeTooLongForTheKernel() {
        Path deep = Path.of("/home/someone/" + "a-rather-long-directory-name/".repeat(4) + "demo-a");
        assertEquals(List.of(), ShellAccess.sharedConnection(new InstanceLayout(deep)));
    }
}
