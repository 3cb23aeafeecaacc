package dev.mosvm.agent.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.wire.JobSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestLimitsTest {
    @Test
    void aGuestMayUseTheNodesMemoryBarItsReserve() {
        GuestLimits l = GuestLimits.forNode(2_000_000, 131_072);
        assertEquals((2_000_000L - 131_072) * 1024, l.memoryMaxBytes());
        assertEquals(GuestLimits.GUEST_PIDS_MAX, l.pidsMax());
    }

    @Test
    void aSmallNodeStillLeavesGuestsAQuarter() {
        assertEquals(100_000L / 4 * 1024, GuestLimits.forNode(100_000, 131_072).memoryMaxBytes());
    }

    @Test
    void aGuestGetsLimitsAndAJobAtHomeHasNone() {
        GuestLimits l = new GuestLimits(300L << 20, 64);
        assertEquals(Map.of("cpu.weight", "5", "memory.max", String.valueOf(300L << 20), "pids.max", "64", "memory.oom.group", "1"), l.cgroupFiles(true));
        assertEquals(Map.of("cpu.weight", "100", "memory.max", "max", "pids.max", "max", "memory.oom.group", "0"), l.cgroupFiles(false));
    }

    @Test
    void aGuestLargerThanTheCeilingIsRefusedWithItsSizes() {
        GuestLimits l = new GuestLimits(300L << 20, 64);
        assertNull(l.refusal("cb", "ca.7", 300 * 1024));
        assertEquals("job ca.7 uses 301 MiB, more than the 300 MiB a guest may use on cb", l.refusal("cb", "ca.7", 301 * 1024 + 1));
    }

    @Property
    void theCeilingIsPositiveAndNeverAboveTheNode(@ForAll @LongRange(min = 1, max = 1L << 40) long totalKb,
                                                  @ForAll @LongRange(min = 0, max = 1L << 40) long reserveKb) {
        long max = GuestLimits.forNode(totalKb, reserveKb).memoryMaxBytes();
        assertTrue(max > 0 && max <= Math.max(totalKb, 1) * 1024, totalKb + " kB with " + reserveKb + " kept: " + max);
    }

    @Test
    void nonsenseLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new GuestLimits(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new GuestLimits(1, 0));
    }

    @Test
    void theJobTableWritesAGuestsLimitsIntoItsCgroupAndLiftsThemAtHome(@TempDir Path cgroups) throws Exception {
        JobTable table = new JobTable("cb", cgroups.resolve("mosvm"), null);
        table.guestLimits(new GuestLimits(300L << 20, 64));
        Path guest = table.cgroupFor(spec("ca.7", "ca"));
        assertEquals(List.of(String.valueOf(300L << 20)), Files.readAllLines(guest.resolve("memory.max")));
        assertEquals(List.of("64"), Files.readAllLines(guest.resolve("pids.max")));
        assertEquals(List.of("5"), Files.readAllLines(guest.resolve("cpu.weight")));
        // the same job back home in its same-named cgroup: nothing of the guest's limits is left
        JobTable home = new JobTable("ca", cgroups.resolve("mosvm"), null);
        Path back = home.cgroupFor(spec("ca.7", "ca"));
        assertEquals(guest, back);
        assertEquals(List.of("max"), Files.readAllLines(back.resolve("memory.max")));
        assertEquals(List.of("max"), Files.readAllLines(back.resolve("pids.max")));
        assertEquals(List.of("100"), Files.readAllLines(back.resolve("cpu.weight")));
    }

    private static JobSpec spec(String id, String home) {
        return JobSpec.fresh(id, home, 0, 0, List.of("sleep", "1"), "2026-12-07T00:00:00Z", false, false, null, null);
    }
}
