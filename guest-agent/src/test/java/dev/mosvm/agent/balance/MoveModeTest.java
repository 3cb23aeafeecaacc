package dev.mosvm.agent.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.api.MigrationMode;
import org.junit.jupiter.api.Test;

class MoveModeTest {
    @Test
    void anUsheredJobIsFrozenAtOnceAndRestoredEagerly() {
        assertEquals(MigrationMode.USHER, MoveMode.of(Move.Reason.USHERED, 10 << 10));
        assertEquals(MigrationMode.USHER, MoveMode.of(Move.Reason.USHERED, 2 << 20));
    }

    @Test
    void aSmallBalancedJobSkipsPrecopyAndALargeOneDoesNot() {
        assertEquals(MigrationMode.STOP_AND_COPY, MoveMode.of(Move.Reason.BALANCED, 32 * 1024 - 1));
        assertEquals(MigrationMode.DEFAULT, MoveMode.of(Move.Reason.BALANCED, 32 * 1024));
    }

    @Test
    void onlyJobsLargeEnoughForItAreRestoredLazily() {
        assertFalse(MoveMode.restoresLazily(false, 10 << 10), "10 MiB: copying it in is quicker than starting the daemon");
        assertTrue(MoveMode.restoresLazily(false, 500 << 10));
        assertFalse(MoveMode.restoresLazily(true, 500 << 10), "an eager restore asked for");
    }

    @Test
    void aUsersMoveReasonIsNoneOfTheBalancers() {
        assertEquals(null, Move.Reason.ofOffer("moved"));
        assertEquals(null, Move.Reason.ofOffer(null));
        assertEquals(Move.Reason.USHERED, Move.Reason.ofOffer("ushered"));
        assertEquals(Move.Reason.BALANCED, Move.Reason.ofOffer("balanced"));
        assertEquals("ushered", Move.Reason.USHERED.wire());
    }
}
