package dev.mosvm.agent.migrate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrecopyPolicyTest {
    private static final long MB = 1 << 20;
    private final PrecopyPolicy p = new PrecopyPolicy(5, 4 * MB, 0.7);

    @Test
    void copiesOnceWhileRunningThenFreezesWhenTheDeltaIsSmall() {
        assertTrue(p.anotherRound(0, -1, -1), "the first round copies everything while the job runs");
        assertTrue(p.anotherRound(1, 500 * MB, -1), "after the bulk copy, another round to catch what was dirtied");
        assertFalse(p.anotherRound(2, 3 * MB, 500 * MB), "a small delta is sent frozen");
    }

    @Test
    void freezesWhenTheDeltaStopsShrinkingOrAtTheRoundLimit() {
        assertFalse(p.anotherRound(3, 100 * MB, 110 * MB), "dirtying as fast as copying: no point going on");
        assertTrue(p.anotherRound(3, 50 * MB, 110 * MB));
        assertFalse(p.anotherRound(5, 50 * MB, 110 * MB), "round limit");
    }

    @Test
    void stopAndCopyNeverPreCopies() {
        assertFalse(PrecopyPolicy.STOP_AND_COPY.anotherRound(0, -1, -1));
    }
}
