package dev.mosvm.agent.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EqualShareReferenceTest {
    @Test
    void oneJobGetsTheFastestCpuToItself() {
        var r = EqualShareReference.run(new double[] {1, 2}, new double[] {0}, new double[] {4});
        assertEquals(2.0, r.makespan(), 1e-9);
        assertEquals(1.0, r.meanSlowdown(), 1e-9);
    }

    @Test
    void twoJobsOnTwoUnequalCpusRotateOverBoth() {
        var r = EqualShareReference.run(new double[] {2, 1}, new double[] {0, 0}, new double[] {3, 3});
        assertEquals(2.0, r.makespan(), 1e-9); // each at (2 + 1) / 2
    }

    @Test
    void moreJobsThanCpusShareAndTheSmallestEndFirst() {
        var r = EqualShareReference.run(new double[] {1}, new double[] {0, 0, 0}, new double[] {1, 2, 3});
        // a third each until 3, then halves until 5, then alone until 6
        assertEquals(6.0, r.makespan(), 1e-9);
        assertEquals((3.0 / 1 + 5.0 / 2 + 6.0 / 3) / 3, r.meanSlowdown(), 1e-9);
    }

    @Test
    void aLateArrivalSharesOnlyFromWhenItArrives() {
        var r = EqualShareReference.run(new double[] {1}, new double[] {0, 1}, new double[] {2, 1});
        // A alone until 1 (1 done), then both at 1/2: both end at 3
        assertEquals(3.0, r.makespan(), 1e-9);
        assertEquals((3.0 / 2 + 2.0 / 1) / 2, r.meanSlowdown(), 1e-9);
    }
}
