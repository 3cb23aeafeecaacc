package dev.mosvm.agent.timekeeping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class RtcDriftTest {
    static final long S = 1_796_514_097L; // an RTC second of 2026

    @Test
    void aClockWithinTheRtcsSecondIsRight() {
        assertEquals(0, RtcDrift.offMillis(S * 1000, S, S * 1000));
        assertEquals(0, RtcDrift.offMillis(S * 1000 + 999, S, S * 1000 + 999));
        assertFalse(RtcDrift.needsSetting(S * 1000 + 500, S, S * 1000 + 501));
    }

    @Test
    void aClockBehindAfterAPauseIsSetAndOneASecondOffIsNot() {
        long wall = (S - 45) * 1000 + 300; // 45 s of pause
        assertEquals(-44_700, RtcDrift.offMillis(wall, S, wall));
        assertTrue(RtcDrift.needsSetting(wall, S, wall));
        assertFalse(RtcDrift.needsSetting(S * 1000 - 900, S, S * 1000 - 900), "within the tolerance");
        assertTrue(RtcDrift.needsSetting(S * 1000 + 2100, S, S * 1000 + 2100), "ahead by 1.1 s past the second");
    }

    @Test
    void anUnsetRtcOrAClockThatWentBackDuringTheReadingIsLeftAlone() {
        assertFalse(RtcDrift.needsSetting(S * 1000, 86_400, S * 1000), "an RTC of 1970");
        assertFalse(RtcDrift.needsSetting(S * 1000, S - 100, S * 1000 - 5000), "the clock was set between the readings");
    }

    @Property
    void theVerdictIsTheDistanceFromTheRtcsSecond(@ForAll @LongRange(min = -200_000, max = 200_000) long offset,
                                                   @ForAll @LongRange(min = 0, max = 50) long readingTook) {
        long wall = S * 1000 + offset;
        long off = RtcDrift.offMillis(wall, S, wall + readingTook);
        // the host's time lies in [S, S+1) s: the clock is off by at least |off|, and |off| is 0 only if some time in the reading could be in the second
        if (off < 0) assertTrue(wall + readingTook < S * 1000 && off == wall + readingTook - S * 1000);
        else if (off > 0) assertTrue(wall >= S * 1000 + 1000 && off == wall - S * 1000 - 999);
        else assertTrue(wall + readingTook >= S * 1000 && wall < S * 1000 + 1000);
        assertEquals(Math.abs(off) > RtcDrift.TOLERANCE_MILLIS, RtcDrift.needsSetting(wall, S, wall + readingTook));
    }
}
