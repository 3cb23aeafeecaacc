package dev.mosvm.manager.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReadinessWaitTest {
    @Test
    void metInOrderAndReported() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        List<String> seen = new ArrayList<>();
        var out = ReadinessWait.await(List.of(
                new Requirement("a", () -> true, "h"),
                new Requirement("b", () -> polls.incrementAndGet() >= 3, "h")), Duration.ofSeconds(5), Duration.ofMillis(1),
                (i, n, d, s) -> seen.add(i + "/" + n + " " + d));
        assertTrue(out.ready());
        assertEquals(List.of("1/2 a", "2/2 b"), seen);
    }

    @Test
    void timeoutNamesTheUnmetRequirementAndLastError() throws Exception {
        var out = ReadinessWait.await(List.of(new Requirement("a", () -> true, "h"),
                new Requirement("agent", () -> { throw new IllegalStateException("connection refused"); }, "h")),
                Duration.ofMillis(50), Duration.ofMillis(5), (i, n, d, s) -> { });
        assertFalse(out.ready());
        assertEquals(2, out.unmetIndex());
        assertTrue(out.reason().contains("connection refused"), out.reason());
    }

    @Test
    void fatalStopsAtOnce() throws Exception {
        long t0 = System.nanoTime();
        var out = ReadinessWait.await(List.of(new Requirement("vm", () -> { throw new ReadinessWait.Fatal("VM stopped"); }, "h")),
                Duration.ofSeconds(30), Duration.ofMillis(5), (i, n, d, s) -> { });
        assertEquals("VM stopped", out.reason());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
    }
}
