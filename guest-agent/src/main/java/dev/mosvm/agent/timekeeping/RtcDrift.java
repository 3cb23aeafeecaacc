package dev.mosvm.agent.timekeeping;

/**
 * How far the guest's wall clock is from the host's, as the VM's real-time clock tells it.
 *
 * <p>A guest's clock stands still while its VM is paused (a {@code virsh suspend}, a host that
 * sleeps, a migration of the VM): under QEMU its clocksources count virtual time, so it comes
 * back as far behind as it was paused, and nothing in the appliance corrects it. Peers then
 * refuse its gossip as stale once it is {@code PacketSealer}'s maximum skew behind. QEMU's RTC
 * ({@code <clock offset='utc'/>}) keeps following the host's clock across a pause, but in whole
 * seconds only: RTC second {@code s} covers the wall-clock milliseconds {@code [s*1000, s*1000+1000)}.
 * Pure: readings in, a verdict out.
 */
public final class RtcDrift {
    /**
     * Off by more than this outside the RTC's second, the clock is set again. Larger than the
     * error of a setting (the time it takes to run {@code date}), so a clock just set is not set
     * again and again, and far below the seconds the pool cares about.
     */
    public static final long TOLERANCE_MILLIS = 1000;
    /** An RTC before this (2020-01-01) is not a host's clock but an unset one: never set from it. */
    static final long EARLIEST_RTC_SECONDS = 1_577_836_800L;

    private RtcDrift() {}

    /**
     * Milliseconds the wall clock is outside the RTC's second: negative if behind it, positive
     * if ahead, 0 within it. {@code wallBefore} and {@code wallAfter} bracket the RTC's reading.
     */
    public static long offMillis(long wallBefore, long rtcSeconds, long wallAfter) {
        long from = rtcSeconds * 1000;
        if (wallAfter < from) return wallAfter - from;
        if (wallBefore >= from + 1000) return wallBefore - (from + 1000) + 1;
        return 0;
    }

    /** Whether a reading calls for setting the clock from the RTC. */
    public static boolean needsSetting(long wallBefore, long rtcSeconds, long wallAfter) {
        if (rtcSeconds < EARLIEST_RTC_SECONDS || wallAfter < wallBefore) return false;
        return Math.abs(offMillis(wallBefore, rtcSeconds, wallAfter)) > TOLERANCE_MILLIS;
    }
}
