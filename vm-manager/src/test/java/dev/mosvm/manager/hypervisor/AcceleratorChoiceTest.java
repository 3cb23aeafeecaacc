package dev.mosvm.manager.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.hypervisor.qemu.HostOs;
import org.junit.jupiter.api.Test;

/** The accelerator on macOS and Windows (Linux's probe boots a kernel under KVM: the e2e tests see it). */
class AcceleratorChoiceTest {
    @Test
    void aMacUsesHvfWhereItsHypervisorIsThereElseTcgWithAWarning() {
        assertEquals(new AcceleratorProbe.Decision(Accelerator.HVF, null), AcceleratorProbe.decideElsewhere(HostOs.MACOS, "auto", true));
        AcceleratorProbe.Decision none = AcceleratorProbe.decideElsewhere(HostOs.MACOS, "auto", false);
        assertEquals(Accelerator.TCG, none.accel());
        assertTrue(none.warning().startsWith("warning: HVF cannot run the x86-64 appliance here"), none.warning());
        assertEquals(ExitCodes.ENVIRONMENT, assertThrows(MosvmException.class, () -> AcceleratorProbe.decideElsewhere(HostOs.MACOS, "hvf", false)).exitCode());
        assertEquals(ExitCodes.INVALID_INPUT, assertThrows(MosvmException.class, () -> AcceleratorProbe.decideElsewhere(HostOs.MACOS, "kvm", true)).exitCode());
        assertEquals(Accelerator.TCG, AcceleratorProbe.decideElsewhere(HostOs.MACOS, "tcg", true).accel());
    }

    @Test
    void windowsUsesWhpxBackedByTcgAndSaysSoWhenChosenForTheUser() {
        AcceleratorProbe.Decision auto = AcceleratorProbe.decideElsewhere(HostOs.WINDOWS, "auto", true);
        assertEquals(Accelerator.WHPX, auto.accel());
        assertTrue(auto.warning().contains("Windows Hypervisor Platform"), auto.warning());
        assertNull(AcceleratorProbe.decideElsewhere(HostOs.WINDOWS, "whpx", true).warning());
        MosvmException e = assertThrows(MosvmException.class, () -> AcceleratorProbe.decideElsewhere(HostOs.WINDOWS, "hvf", true));
        assertEquals("invalid --accel 'hvf' on windows: use auto, whpx or tcg", e.getMessage());
    }
}
