package dev.mosvm.agent.timekeeping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class PoolTimeTest {
    static final long NOW = 1_796_514_097_250L;

    /**
     * A member whose host is {@code skew} ms off its admitter's, asking over a link whose answer
     * is read {@code there} ms after asking and arrives {@code back} ms later: after following,
     * its clock is within half the round trip (plus the tolerance) of the admitter's, whatever it was before.
     */
    @Property
    void oneExchangeBringsAClockToWithinHalfTheRoundTripOfTheAdmitters(@ForAll @LongRange(min = -3_600_000, max = 3_600_000) long skew,
            @ForAll @LongRange(min = -120_000, max = 120_000) long offset, @ForAll @LongRange(min = 0, max = 1000) long there,
            @ForAll @LongRange(min = 0, max = 1000) long back) {
        long admitter = NOW; // the pool's time
        long local = NOW + skew + offset; // this node's clock: its host's plus the offset it keeps
        long peer = admitter + there;
        OptionalLong next = PoolTime.follow(offset, local, there + back, peer);
        long after = NOW + skew + next.orElse(offset); // where the clock is once the keeper has set it
        assertTrue(Math.abs(after - admitter) <= PoolTime.TOLERANCE_MILLIS + (there + back) / 2 + 1,
                "skew " + skew + ", offset " + offset + " -> " + next + ": " + (after - admitter) + " ms off");
    }

    @Test
    void aMemberNinetySecondsAheadTakesAnOffsetOfMinusNinety() {
        assertEquals(OptionalLong.of(-90_000), PoolTime.follow(0, NOW + 90_000, 200, NOW + 100));
        assertEquals(OptionalLong.empty(), PoolTime.follow(-90_000, NOW, 200, NOW + 100), "and keeps it");
        assertEquals(OptionalLong.empty(), PoolTime.follow(-90_000, NOW, 200, NOW + 2_500), "through the two clocks' slack");
    }

    @Test
    void withinTheToleranceNothingMoves() {
        assertEquals(OptionalLong.empty(), PoolTime.follow(5_000, NOW, 0, NOW + PoolTime.TOLERANCE_MILLIS));
        assertEquals(OptionalLong.empty(), PoolTime.follow(5_000, NOW, 0, NOW - PoolTime.TOLERANCE_MILLIS));
        assertEquals(OptionalLong.of(5_000 + PoolTime.TOLERANCE_MILLIS + 1), PoolTime.follow(5_000, NOW, 0, NOW + PoolTime.TOLERANCE_MILLIS + 1));
    }

    @Test
    void aSlowAnswerOrAnAbsurdOffsetIsNotFollowed() {
        assertEquals(OptionalLong.empty(), PoolTime.follow(0, NOW, PoolTime.MAX_ROUND_TRIP_MILLIS + 1, NOW + 60_000));
        assertEquals(OptionalLong.empty(), PoolTime.follow(0, NOW, -1, NOW + 60_000));
        assertEquals(OptionalLong.empty(), PoolTime.follow(0, NOW, 0, NOW + PoolTime.MAX_OFFSET_MILLIS + 1));
        assertEquals(OptionalLong.of(-PoolTime.MAX_OFFSET_MILLIS), PoolTime.follow(0, NOW, 0, NOW - PoolTime.MAX_OFFSET_MILLIS));
    }
}
