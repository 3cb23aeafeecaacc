package dev.mosvm.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CpuCapTest {
    @Test
    void theCapOnTheKernelCommandLineScalesTheSpeed() {
        assertEquals(0.4, CpuCap.parse("console=ttyS0 root=/dev/vda rw quiet systemd.hostname=c mosvm.cpu_cap=40\n"));
        assertEquals(1.0, CpuCap.parse("console=ttyS0 root=/dev/vda"), "no cap");
        assertEquals(1.0, CpuCap.parse("mosvm.cpu_cap=0"), "out of range: ignored");
        assertEquals(1.0, CpuCap.parse("mosvm.cpu_cap=150"));
        assertEquals(1.0, CpuCap.parse("mosvm.cpu_cap=lots"));
    }
}
