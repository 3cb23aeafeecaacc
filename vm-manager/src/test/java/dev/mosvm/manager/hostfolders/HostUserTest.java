package dev.mosvm.manager.hostfolders;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostUserTest {
    @Test
    void underSudoTheUserIsWhoeverRanSudo() {
        HostUser u = HostUser.of(Map.of("SUDO_USER", "bob", "SUDO_UID", "1234", "SUDO_GID", "1235"), "root", Path.of("/root"), new int[] {0, 0});
        assertEquals("bob", u.name());
        assertEquals(1234, u.uid());
        assertEquals(1235, u.gid());
    }

    @Test
    void withoutSudoOrAsAUserItIsThisProcesssUser() {
        assertEquals(new HostUser("root", 0, 0, Path.of("/root")), HostUser.of(Map.of(), "root", Path.of("/root"), new int[] {0, 0}));
        // a user's process with SUDO_* left in its environment is that user, not the one named there
        assertEquals(new HostUser("ann", 1001, 1001, Path.of("/home/ann")),
                HostUser.of(Map.of("SUDO_USER", "bob", "SUDO_UID", "1234"), "ann", Path.of("/home/ann"), new int[] {1001, 1001}));
        assertEquals("root", HostUser.of(Map.of("SUDO_USER", "bob", "SUDO_UID", "x"), "root", Path.of("/root"), new int[] {0, 0}).name(),
                "a SUDO_UID that is no number is not believed");
    }

    @Test
    void theApplianceUserHasTheSameNameWhereThatIsAValidOne() {
        assertEquals("bob", new HostUser("bob", 1000, 1000, null).applianceName());
        assertEquals("host-bobsmith", new HostUser("Bob.Smith", 501, 20, null).applianceName(), "a dot is no appliance user name's");
        assertEquals("alice", new HostUser("Alice", 501, 20, null).applianceName(), "macOS names may have capitals");
        assertEquals("root", new HostUser("root", 0, 0, null).applianceName());
    }
}
