package dev.mosvm.agent.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.jobs.JobTable;
import dev.mosvm.agent.wire.JobSpec;
import java.io.IOException;
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
    void aGuestsCgroupFiles() {
        GuestLimits l = new GuestLimits(300L << 20, 64);
        assertEquals(Map.of("cpu.weight", "5", "memory.max", String.valueOf(300L << 20), "pids.max", "64", "memory.oom.group", "1"), l.cgroupFiles());
    }

    @Test
    void aGuestLargerThanTheCeilingIsRefusedWithItsSizes() {
        GuestLimits l = new GuestLimits(300L << 20, 64);
        assertNull(l.refusal("cb", "ca.7", 300 * 1024, 1));
        assertEquals("job ca.7 uses 301 MiB, more than the 300 MiB a guest may use on cb", l.refusal("cb", "ca.7", 301 * 1024 + 1, 1));
        assertTrue(l.refusal("cb", "ca.7", Long.MAX_VALUE, 1).startsWith("job ca.7 uses"), "a peer's absurd figure is refused, not wrapped around");
    }

    @Test
    void aGuestOfMoreTasksThanTheLimitIsRefusedWithItsCount() {
        GuestLimits l = new GuestLimits(300L << 20, 64);
        assertNull(l.refusal("cb", "ca.7", 1024, 64));
        assertNull(l.refusal("cb", "ca.7", 1024, 0), "a source that does not count them");
        assertEquals("job ca.7 has 65 processes and threads, more than the 64 a guest may have on cb", l.refusal("cb", "ca.7", 1024, 65));
        assertTrue(l.refusal("cb", "ca.7", 1024, Long.MAX_VALUE).startsWith("job ca.7 has"), "a peer's absurd figure is refused");
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
    void theJobTableWritesAGuestsLimitsIntoItsCgroupAndNoneForAJobAtHome(@TempDir Path cgroups) throws Exception {
        JobTable table = new JobTable("cb", cgroups.resolve("mosvm"), null);
        table.guestLimits(new GuestLimits(300L << 20, 64));
        Path guest = table.cgroupFor(spec("ca.7", "ca"));
        assertEquals(List.of(String.valueOf(300L << 20)), Files.readAllLines(guest.resolve("memory.max")));
        assertEquals(List.of("64"), Files.readAllLines(guest.resolve("pids.max")));
        assertEquals(List.of("5"), Files.readAllLines(guest.resolve("cpu.weight")));
        assertEquals(List.of("1"), Files.readAllLines(guest.resolve("memory.oom.group")));
        Path own = table.cgroupFor(spec("cb.3", "cb"));
        assertFalse(Files.exists(own.resolve("memory.max")), "the kernel's defaults for a job at home");
    }

    @Test
    void aGuestWhoseLimitsCannotBeWrittenDoesNotStart(@TempDir Path cgroups) throws Exception {
        JobTable table = new JobTable("cb", cgroups.resolve("mosvm"), null);
        Files.createDirectories(cgroups.resolve("mosvm/job-ca.8/pids.max")); // a directory where the file goes: the write fails
        IOException e = assertThrows(IOException.class, () -> table.cgroupFor(spec("ca.8", "ca")));
        assertTrue(e.getMessage().contains("cb cannot set pids.max for guest ca.8"), e.getMessage());
    }

    @Test
    void aNodeWithoutAMemorySizeIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> GuestLimits.forNode(0, 131_072));
    }

    private static JobSpec spec(String id, String home) {
        return JobSpec.fresh(id, home, 0, 0, List.of("sleep", "1"), "2026-12-07T00:00:00Z", false, false, null, null);
    }
}
