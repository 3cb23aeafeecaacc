package dev.mosvm.agent.timekeeping;

import dev.mosvm.agent.guard.Supervised;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Keeps an appliance's wall clock on the pool's time, which is its host's plus the pool's
 * offset ({@link PoolTime}; 0 for a founder or outside a pool): every {@link #PERIOD_MILLIS} it
 * reads the VM's RTC, and when the clock is off by more than {@link RtcDrift#TOLERANCE_MILLIS}
 * (after a pause, see {@link RtcDrift}, or when the offset changed) it waits for the RTC's next
 * second to begin, when the host's time is that second exactly, and sets the clock to it plus the offset. A guest under KVM could follow the
 * host more finely (chrony on {@code ptp_kvm}); under TCG the RTC is what the guest has.
 *
 * <p>Time-outs in the agent run on the monotonic clock, which a setting does not move.
 */
public final class ClockKeeper {
    private static final Logger LOG = Logger.getLogger(ClockKeeper.class.getName());
    public static final long PERIOD_MILLIS = 2000;
    /** How often the RTC is read while waiting for its second to turn: the setting's error. */
    static final long POLL_MILLIS = 5;
    /** The RTC turns a second within this, or it does not count seconds and is left alone. */
    static final long EDGE_WAIT_MILLIS = 1500;
    static final Path RTC = Path.of("/sys/class/rtc/rtc0/since_epoch");
    /** A setting that took longer than this (date hung, the VM paused again) is not allowed for in full. */
    static final long MAX_SETTING_MILLIS = 5_000;

    /** The RTC in whole seconds since the epoch. */
    @FunctionalInterface
    public interface Rtc {
        long seconds() throws IOException;
    }

    /** Sets the wall clock. */
    @FunctionalInterface
    public interface Setter {
        void set(long epochMillis) throws IOException, InterruptedException;
    }

    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final Rtc rtc;
    private final LongSupplier offsetMillis;
    private final java.util.function.LongConsumer onApplied;
    /** The offset the clock was last set with (or found on), null before the first check. */
    private Long applied;
    private final LongSupplier wallMillis;
    private final LongSupplier monotonicNanos;
    private final Setter setter;
    private final Sleeper sleeper;
    private boolean stuckReported;
    /**
     * How long the last setting took (starting {@code date} under TCG can take a large part of a
     * second): the next one sets that much later, or a clock set a second late would be set
     * again every period.
     */
    private long settingMillis;

    ClockKeeper(Rtc rtc, LongSupplier offsetMillis, java.util.function.LongConsumer onApplied, LongSupplier wallMillis, LongSupplier monotonicNanos,
            Setter setter, Sleeper sleeper) {
        this.rtc = rtc;
        this.offsetMillis = offsetMillis;
        this.onApplied = onApplied;
        this.wallMillis = wallMillis;
        this.monotonicNanos = monotonicNanos;
        this.setter = setter;
        this.sleeper = sleeper;
    }

    /**
     * Inside an appliance: checks the clock from now on. Nothing (and a line saying why) where
     * the VM has no RTC.
     */
    public static Supervised start(PoolClockOffset offset) {
        if (!Files.isReadable(RTC)) {
            LOG.warning("no RTC at " + RTC + ": the wall clock is not kept on the host's (it falls behind by every pause of the VM)");
            return null;
        }
        ClockKeeper k = new ClockKeeper(ClockKeeper::readRtc, offset::millis, offset::markApplied, System::currentTimeMillis, System::nanoTime, ClockKeeper::setWithDate, Thread::sleep);
        return Supervised.periodicAtRate("clock-keeper", 0, PERIOD_MILLIS, k::check);
    }

    /**
     * One check: the milliseconds the clock was moved by (negative: it was ahead), or 0 if it
     * was within the tolerance or the RTC gave nothing to set it from.
     */
    public long check() throws IOException, InterruptedException {
        long offset = offsetMillis.getAsLong();
        long before = wallMillis.getAsLong() - offset;
        long second = rtc.seconds();
        long after = wallMillis.getAsLong() - offset;
        // a new offset is set at once, however small the change: the pool's time moved, not the clock drifted
        boolean newOffset = applied != null && applied != offset;
        if (!newOffset && !RtcDrift.needsSetting(before, second, after)) {
            if (applied == null) applied(offset);
            return 0;
        }
        long deadline = monotonicNanos.getAsLong() + TimeUnit.MILLISECONDS.toNanos(EDGE_WAIT_MILLIS);
        long next;
        while ((next = rtc.seconds()) == second) {
            if (monotonicNanos.getAsLong() > deadline) {
                if (!stuckReported) LOG.warning("the RTC did not count a second in " + EDGE_WAIT_MILLIS + " ms: the wall clock is not set from it");
                stuckReported = true;
                return 0;
            }
            sleeper.sleep(POLL_MILLIS);
        }
        long edge = monotonicNanos.getAsLong();
        if (next < second || next > second + 2) return 0; // the RTC itself was set in between: read it again next time
        // the second began between the last two readings: half a poll before this one, on average
        long started = monotonicNanos.getAsLong();
        long host = next * 1000 + POLL_MILLIS / 2 + TimeUnit.NANOSECONDS.toMillis(started - edge) + settingMillis;
        long moved = host + offset - wallMillis.getAsLong();
        setter.set(host + offset);
        applied(offset);
        settingMillis = Math.min(TimeUnit.NANOSECONDS.toMillis(monotonicNanos.getAsLong() - started), MAX_SETTING_MILLIS);
        LOG.warning(String.format(Locale.ROOT, "wall clock set from the RTC: it was %.1f s %s the %s (%s)",
                Math.abs(moved) / 1000.0, moved > 0 ? "behind" : "ahead of", offset == 0 ? "host's" : "pool's, the host's " + offsetText(offset),
                offset == 0 ? "the VM was paused, or starved of CPU" : "the VM was paused or starved of CPU, or the pool's offset changed"));
        return moved;
    }

    private void applied(long offset) {
        applied = offset;
        onApplied.accept(offset);
    }

    static String offsetText(long offset) {
        return String.format(Locale.ROOT, "%+.1f s", offset / 1000.0);
    }

    static long readRtc() throws IOException {
        String s = Files.readString(RTC).strip();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException("unreadable RTC " + RTC + ": " + s);
        }
    }

    /** date(1) sets the clock (clock_settime is beyond Java); the setting is late by the time date takes to start. */
    static void setWithDate(long epochMillis) throws IOException, InterruptedException {
        String at = String.format(Locale.ROOT, "@%d.%03d", Math.floorDiv(epochMillis, 1000), Math.floorMod(epochMillis, 1000));
        Process p = new ProcessBuilder("date", "-u", "-s", at).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("date -s " + at + " did not finish in 10 s");
        }
        if (p.exitValue() != 0) throw new IOException("date -s " + at + " failed (" + p.exitValue() + "): " + out);
    }
}
