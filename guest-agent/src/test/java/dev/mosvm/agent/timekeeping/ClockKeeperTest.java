package dev.mosvm.agent.timekeeping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A fake VM: the host's time runs on, the guest's wall clock stands still for a pause, and the
 * RTC reads the host's time in whole seconds, as QEMU's does.
 */
class ClockKeeperTest {
    long hostMillis = 1_796_514_097_250L;
    long guestBehind;
    boolean rtcStuck;
    long poolOffset;
    final List<Long> applied = new ArrayList<>();
    final List<Long> settings = new ArrayList<>();

    ClockKeeper keeper() {
        return new ClockKeeper(
                () -> rtcStuck ? 1_796_514_097L : Math.floorDiv(hostMillis, 1000),
                () -> poolOffset,
                a -> applied.add(a),
                () -> hostMillis - guestBehind,
                () -> TimeUnit.MILLISECONDS.toNanos(hostMillis),
                at -> {
                    settings.add(at);
                    guestBehind = hostMillis - at;
                },
                ms -> hostMillis += ms);
    }

    @Test
    void aClockRightIsNotTouched() throws Exception {
        ClockKeeper k = keeper();
        for (int i = 0; i < 10; i++) {
            assertEquals(0, k.check());
            hostMillis += 2000;
        }
        assertEquals(List.of(), settings);
    }

    @Test
    void afterAPauseTheClockIsSetAtTheRtcsNextSecondToWithinAPoll() throws Exception {
        ClockKeeper k = keeper();
        guestBehind = 45_000; // a 45 s pause
        long moved = k.check();
        assertEquals(1, settings.size());
        assertTrue(Math.abs(moved - 45_000) <= ClockKeeper.POLL_MILLIS, "moved by " + moved);
        assertTrue(Math.abs(guestBehind) <= ClockKeeper.POLL_MILLIS, "off by " + guestBehind + " ms after");
        assertEquals(0, Math.floorMod(settings.get(0) - ClockKeeper.POLL_MILLIS / 2, 1000), "set at the second's start (plus half a poll)");
        hostMillis += 2000;
        assertEquals(0, k.check(), "and left alone from then on");
    }

    @Test
    void aClockAheadIsSetBack() throws Exception {
        ClockKeeper k = keeper();
        guestBehind = -5_000;
        assertTrue(k.check() < -3_900);
        assertTrue(Math.abs(guestBehind) <= ClockKeeper.POLL_MILLIS);
    }

    @Test
    void aSettingThatTakesLongIsMadeThatMuchLaterTheNextTime() throws Exception {
        long spawn = 2_500; // date, started under emulation on a very busy host
        ClockKeeper k = new ClockKeeper(
                () -> Math.floorDiv(hostMillis, 1000),
                () -> poolOffset,
                a -> applied.add(a),
                () -> hostMillis - guestBehind,
                () -> TimeUnit.MILLISECONDS.toNanos(hostMillis),
                at -> {
                    hostMillis += spawn; // the clock is set when date runs, this much after it was started
                    settings.add(at);
                    guestBehind = hostMillis - at;
                },
                ms -> hostMillis += ms);
        guestBehind = 45_000;
        k.check();
        assertTrue(guestBehind >= spawn - ClockKeeper.POLL_MILLIS, "the first setting lands late by the time date took: " + guestBehind);
        hostMillis += 2000;
        k.check();
        assertTrue(Math.abs(guestBehind) <= ClockKeeper.POLL_MILLIS, "the second allows for it: off by " + guestBehind + " ms");
        hostMillis += 2000;
        assertEquals(0, k.check(), "and that is the last");
        assertEquals(2, settings.size());
    }

    @Test
    void aNewPoolOffsetMovesTheClockToTheHostsPlusItAndKeepsItThere() throws Exception {
        ClockKeeper k = keeper();
        assertEquals(0, k.check(), "on the host's time, no offset: nothing to do");
        poolOffset = -90_000; // the admitter's host is 90 s behind this one
        long moved = k.check();
        assertTrue(Math.abs(moved + 90_000) <= ClockKeeper.POLL_MILLIS, "moved by " + moved);
        assertTrue(Math.abs(guestBehind - 90_000) <= ClockKeeper.POLL_MILLIS, "now 90 s behind the host: " + guestBehind);
        for (int i = 0; i < 5; i++) {
            hostMillis += 2000;
            assertEquals(0, k.check(), "and left there: the pool's time is not the host's");
        }
        guestBehind += 30_000; // a pause: the pool's time is still kept
        assertTrue(Math.abs(k.check() - 30_000) <= ClockKeeper.POLL_MILLIS);
        assertTrue(Math.abs(guestBehind - 90_000) <= ClockKeeper.POLL_MILLIS, "back on the pool's time: " + guestBehind);
        poolOffset = 0; // left the pool
        assertTrue(Math.abs(k.check() - 90_000) <= ClockKeeper.POLL_MILLIS);
        assertTrue(Math.abs(guestBehind) <= ClockKeeper.POLL_MILLIS, "back on the host's: " + guestBehind);
    }

    @Test
    void aSmallChangeOfOffsetIsSetAtOnceAndReportedApplied() throws Exception {
        ClockKeeper k = keeper();
        assertEquals(0, k.check());
        assertEquals(List.of(0L), applied, "the clock found on its offset counts as applied");
        poolOffset = 400; // within the drift tolerance, but the pool's time moved
        long moved = k.check();
        assertTrue(Math.abs(moved - 400) <= ClockKeeper.POLL_MILLIS, "moved by " + moved);
        assertEquals(List.of(0L, 400L), applied);
        hostMillis += 2000;
        assertEquals(0, k.check());
        assertEquals(List.of(0L, 400L), applied, "applied once");
    }

    @Test
    void anRtcThatDoesNotCountSecondsSetsNothing() throws Exception {
        rtcStuck = true;
        hostMillis = 1_796_514_097_000L + 60_000;
        guestBehind = 0; // the clock is a minute past the RTC's one second
        ClockKeeper k = keeper();
        long start = hostMillis;
        assertEquals(0, k.check());
        assertEquals(List.of(), settings);
        assertTrue(hostMillis - start <= ClockKeeper.EDGE_WAIT_MILLIS + 2 * ClockKeeper.POLL_MILLIS, "gave up after the edge wait");
    }
}
