package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrecopyPolicyTest {
    private static final long MB = 1 << 20;
    private final PrecopyPolicy p = new PrecopyPolicy(5, 4 * MB, 0.7);

    @Test
    void copiesOnceWhileRunningThenFreezesWhenTheDeltaIsSmall() {
        assertTrue(p.anotherRound(0, 500 * MB, -1, 1 * MB), "a job that dirties little: the bulk is copied while it runs");
        assertTrue(p.anotherRound(1, 500 * MB, -1, 60 * MB), "a delta worth another round while it runs");
        assertFalse(p.anotherRound(1, 500 * MB, -1, 3 * MB), "a small delta is sent frozen, without another round");
    }

    @Test
    void aJobWhoseMemoryIsAllDirtyAgainIsCopiedOnceFrozen() {
        assertFalse(p.anotherRound(0, 140 * MB, -1, 138 * MB), "it grew during the probe: the kernel counts all of it dirty");
        assertFalse(p.anotherRound(1, 140 * MB, -1, 150 * MB), "it grew during the first round: a second would send it all again");
    }

    @Test
    void freezesWhenTheDeltaStopsShrinkingOrAtTheRoundLimit() {
        assertFalse(p.anotherRound(2, 100 * MB, 110 * MB, 90 * MB), "dirtying as fast as copying: no point going on");
        assertTrue(p.anotherRound(2, 100 * MB, 500 * MB, 50 * MB));
        assertFalse(p.anotherRound(5, 100 * MB, 500 * MB, 10 * MB), "round limit");
    }

    @Test
    void withoutSoftDirtyBitsItJudgesByWhatTheRoundsSent() {
        assertTrue(p.anotherRound(0, -1, -1, -1));
        assertTrue(p.anotherRound(1, 500 * MB, -1, -1), "after the bulk copy, another round to catch what was dirtied");
        assertFalse(p.anotherRound(2, 3 * MB, 500 * MB, -1), "a small delta is sent frozen");
        assertFalse(p.anotherRound(3, 100 * MB, 110 * MB, -1), "not shrinking");
    }

    @Test
    void theProbeIsLongerForLargerJobsButNeverLongerThanASecond() {
        long small = PrecopyPolicy.probeMillis(10 * MB), large = PrecopyPolicy.probeMillis(500 * MB);
        assertTrue(small < 100, "a small job's round is short: hardly worth waiting for, " + small + " ms");
        assertTrue(large > small && large <= 1000, "a large one waits longer, up to a second: " + large + " ms");
        assertEquals(1000, PrecopyPolicy.probeMillis(8000 * MB));
        assertEquals(0, PrecopyPolicy.probeMillis(-1), "unknown size: no wait");
    }

    @Test
    void stopAndCopyNeverPreCopies() {
        assertFalse(PrecopyPolicy.STOP_AND_COPY.anotherRound(0, 500 * MB, -1, 0));
    }
}
