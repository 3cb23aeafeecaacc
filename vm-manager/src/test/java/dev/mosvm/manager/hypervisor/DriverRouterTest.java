package dev.mosvm.manager.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.qemu.HostOs;
import dev.mosvm.manager.instance.InstanceConfig;
import dev.mosvm.manager.instance.InstanceStore;
import dev.mosvm.manager.instance.MosvmHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriverRouterTest {
    @TempDir Path dir;
    final List<String> notes = new ArrayList<>();
    int libvirtOpened;

    InstanceStore store() {
        return new InstanceStore(new MosvmHome(dir, dir.resolve("cache"), dir.resolve("agent.jar"), dir.resolve("recipe.yaml")));
    }

    Supplier<Hypervisor> libvirtDown() {
        return () -> {
            libvirtOpened++;
            throw new MosvmException(ExitCodes.ENVIRONMENT, "libvirtd is not running (cannot connect to qemu:///system)", null);
        };
    }

    static Supplier<Hypervisor> never(String which) {
        return () -> {
            throw new AssertionError(which + " opened");
        };
    }

    @Test
    void onLinuxWithoutLibvirtdANewInstanceGetsQemuAndTheUserIsTold() {
        DriverRouter r = new DriverRouter(store(), HostOs.LINUX, libvirtDown(), never("qemu"));
        assertEquals(Driver.QEMU, r.chooseForNewInstance(null, notes::add));
        assertEquals(1, notes.size());
        assertTrue(notes.get(0).startsWith("note: libvirtd is not running") && notes.get(0).endsWith("using the qemu driver (QEMU run directly, user-mode networking)"), notes.toString());
        MosvmException e = assertThrows(MosvmException.class, () -> r.chooseForNewInstance(Driver.LIBVIRT, notes::add));
        assertEquals(ExitCodes.ENVIRONMENT, e.exitCode(), "asked for libvirt, and it is not there: its own error");
        assertEquals(Driver.QEMU, r.driverOf(InstanceConfig.domainName("nosuch")), "a name with no instance: no libvirt to ask");
    }

    @Test
    void onAMacOrWindowsLibvirtIsNeverOpened() {
        for (HostOs os : List.of(HostOs.MACOS, HostOs.WINDOWS)) {
            DriverRouter r = new DriverRouter(store(), os, never("libvirt"), never("qemu"));
            assertEquals(Driver.QEMU, r.chooseForNewInstance(null, notes::add));
            assertEquals(Driver.QEMU, r.chooseForNewInstance(Driver.QEMU, notes::add));
            MosvmException e = assertThrows(MosvmException.class, () -> r.chooseForNewInstance(Driver.LIBVIRT, notes::add));
            assertEquals(ExitCodes.INVALID_INPUT, e.exitCode());
            assertEquals(Driver.QEMU, r.driverOf(InstanceConfig.domainName("nosuch")));
        }
        assertEquals(List.of(), notes);
    }

    @Test
    void anExistingInstanceKeepsItsDriverAndOldOnesAreLibvirt() throws Exception {
        InstanceStore s = store();
        s.create("q");
        s.save(new InstanceConfig("q", 1, 512, "tcg", "k", "/i", "52:54:00:00:00:01", "u", "qemu", "t", null, null, null, "qemu", null));
        s.create("old");
        s.save(new InstanceConfig("old", 1, 512, "tcg", "k", "/i", "52:54:00:00:00:02", "u", "qemu:///system", "t", null, null, null, null, null));
        DriverRouter r = new DriverRouter(s, HostOs.LINUX, libvirtDown(), never("qemu"));
        assertEquals(Driver.QEMU, r.driverOf(InstanceConfig.domainName("q")));
        assertEquals(Driver.LIBVIRT, r.driverOf(InstanceConfig.domainName("old")));
        assertEquals(0, libvirtOpened, "reading which driver opens none");
        assertThrows(MosvmException.class, () -> Driver.parse("xen"));
    }
}
