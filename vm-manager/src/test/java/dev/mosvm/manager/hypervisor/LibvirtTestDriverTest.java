package dev.mosvm.manager.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.manager.hypervisor.libvirt.LibvirtConnector;
import org.junit.jupiter.api.Test;

/** The libvirt driver against libvirt's in-process test:///default hypervisor (no daemon). */
class LibvirtTestDriverTest {
    @Test
    void defineStartStopUndefine() {
        try (Hypervisor hv = LibvirtConnector.connect("test:///default")) {
            String vm = "mosvm-unit-" + ProcessHandle.current().pid();
            assertEquals(VmState.ABSENT, hv.state(vm));
            VmSpec s = DomainXmlTest.spec(Accelerator.TCG);
            hv.define(new VmSpec(vm, s.uuid(), "unit", 1, 256, Accelerator.TCG, s.kernel(), s.initrd(), s.cmdline(), s.disk(), s.mac(),
                    s.network(), s.serialLog(), s.firmwareFiles(), s.instanceDir()));
            assertEquals(VmState.SHUTOFF, hv.state(vm));
            hv.define(new VmSpec(vm, s.uuid(), "unit", 1, 512, Accelerator.TCG, s.kernel(), s.initrd(), s.cmdline(), s.disk(),
                    s.mac(), s.network(), s.serialLog(), s.firmwareFiles(), s.instanceDir())); // re-define in place (restart path)
            assertTrue(hv.managedVms().contains(vm), "found by mosvm metadata");
            assertFalse(hv.managedVms().contains("test"), "the driver's own sample domain is not ours");
            hv.start(vm);
            assertEquals(VmState.RUNNING, hv.state(vm));
            hv.powerOff(vm);
            assertEquals(VmState.SHUTOFF, hv.state(vm));
            hv.powerOff(vm); // idempotent
            hv.undefine(vm);
            assertEquals(VmState.ABSENT, hv.state(vm));
        }
    }

    @Test
    void unreachableDaemonSaysHowToStartIt() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.mosvm.manager.MosvmException.class,
                () -> LibvirtConnector.connect("qemu+unix:///system?socket=/nonexistent/libvirt-sock"));
        assertTrue(e.getMessage().contains("libvirtd is not running"), e.getMessage());
        assertTrue(e.hint().contains("start-libvirt.sh"), e.hint());
        assertEquals(dev.mosvm.api.ExitCodes.ENVIRONMENT, e.exitCode());
    }
}
