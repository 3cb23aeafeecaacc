package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FreeMemoryTrendTest {
    @Test
    void fallingMemoryIsProjectedAheadAndRisingMemoryIsNot() {
        FreeMemoryTrend t = new FreeMemoryTrend(20_000);
        assertEquals(500_000, t.predict(0, 500_000, 30), "one sample: no trend");
        t.predict(5_000, 450_000, 30);
        // 100 MiB-ish lost in 10 s: 10,000 KiB/s, so 300,000 KiB less in 30 s
        assertEquals(100_000, t.predict(10_000, 400_000, 30));
        FreeMemoryTrend up = new FreeMemoryTrend(20_000);
        up.predict(0, 100_000, 30);
        assertEquals(200_000, up.predict(10_000, 200_000, 30), "rising: taken as it is");
    }

    @Test
    void onlyTheRecentWindowCounts() {
        FreeMemoryTrend t = new FreeMemoryTrend(20_000);
        t.predict(0, 900_000, 30); // a fall long ago
        t.predict(30_000, 400_000, 30);
        t.predict(40_000, 400_000, 30);
        assertEquals(400_000, t.predict(50_000, 400_000, 30), "flat over the last 20 s");
    }
}
