package dev.mosvm.agent.guard;

import java.util.function.LongSupplier;

/**
 * At most one log line per interval for an event a flood repeats (a refused connection, a
 * request without credentials): the first is logged, then one a interval saying how many went
 * unlogged, so a flood cannot fill the journal yet every refusal is counted.
 */
public final class LogThrottle {
    private final long intervalMillis;
    private final LongSupplier clock;
    private long lastLogged = Long.MIN_VALUE;
    private long unlogged;

    /** @param clock milliseconds on any monotonic clock (a test's own, to advance it) */
    public LogThrottle(long intervalMillis, LongSupplier clock) {
        this.intervalMillis = intervalMillis;
        this.clock = clock;
    }

    /** The refusal interval on the system's monotonic clock. */
    public static LogThrottle refusals() {
        return new LogThrottle(ServingLimits.REFUSAL_LOG_MILLIS, () -> System.nanoTime() / 1_000_000);
    }

    /**
     * Counts one event. Returns -1 if it is not to be logged; otherwise how many earlier events
     * went unlogged since the last line (0 for the first), for the line to say.
     */
    public synchronized long event() {
        long now = clock.getAsLong();
        if (lastLogged != Long.MIN_VALUE && now - lastLogged < intervalMillis) {
            unlogged++;
            return -1;
        }
        lastLogged = now;
        long n = unlogged;
        unlogged = 0;
        return n;
    }

    /** ", and N more like it since the last report" when some went unlogged; empty otherwise. */
    public static String since(long unlogged) {
        return unlogged > 0 ? " (and " + unlogged + " more like it since the last report)" : "";
    }
}
