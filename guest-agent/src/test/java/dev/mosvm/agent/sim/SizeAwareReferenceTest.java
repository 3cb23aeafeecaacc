package dev.mosvm.agent.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SizeAwareReferenceTest {
    @Test
    void theLargestJobHasTheFastestCpuFromItsStart() {
        // 6 on the 2.0 CPU from 0; 1 and 1 one after the other on the 1.0 CPU
        var r = SizeAwareReference.run(new double[] {1, 2}, new double[] {0, 0, 0}, new double[] {1, 6, 1});
        assertEquals(3.0, r.makespan(), 1e-9);
        assertEquals((1.0 / 0.5 + 3.0 / 3 + 2.0 / 0.5) / 3, r.meanSlowdown(), 1e-9);
    }

    @Test
    void onOneCpuTheShortestWaitBehindTheLargestNot() {
        // one CPU: the largest takes it first (the makespan rule), then shortest first
        var r = SizeAwareReference.run(new double[] {1}, new double[] {0, 0, 0}, new double[] {1, 2, 3});
        assertEquals(6.0, r.makespan(), 1e-9);
    }

    @Test
    void aLateSmallJobStartsAtOnceOnAFreeCpu() {
        var r = SizeAwareReference.run(new double[] {1, 1}, new double[] {0, 5}, new double[] {10, 1});
        assertEquals(10.0, r.makespan(), 1e-9);
        assertEquals((10.0 / 10 + 1.0 / 1) / 2, r.meanSlowdown(), 1e-9);
    }
}
